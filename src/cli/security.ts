/**
 * Secure by default: without API tokens Vigil only listens on loopback. Who calls: `vigil run` and
 * `vigil agent` before binding. Returns a message that says how to fix it, or undefined when fine.
 */
import { isIP } from 'node:net';

export function splitListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`bad listen address ${listen}`);
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

export function exposureProblem(listen: string, tokens: ReadonlyArray<string>): string | undefined {
  const { host } = splitListen(listen);
  if (isLoopback(host) || tokens.length > 0) return undefined;
  const shown = host === '' ? 'every interface' : host;
  return [
    `refusing to listen on ${listen} (${shown}) without API tokens: anyone who can reach it could read and write your logs.`,
    'Add a token, e.g.:',
    '  export VIGIL_TOKEN=$(openssl rand -hex 24)',
    '  # vigil.yaml',
    '  server:',
    `    listen: ${listen}`,
    '    auth:',
    '      tokens: ["${VIGIL_TOKEN}"]',
    'or pass them in the environment: VIGIL_AUTH_TOKENS=<token>[,<token>...] vigil run --listen ' + listen,
    'or listen on 127.0.0.1 only.',
  ].join('\n');
}
