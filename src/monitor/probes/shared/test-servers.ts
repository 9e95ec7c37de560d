/**
 * Loopback servers the network probe tests share (and test/interop/blackbox.test.ts): an HTTP
 * target with fixed routes and HTTPS servers with the fixture certificates in ./testdata.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
export const CA_FILE = `${TESTDATA}ca.pem`;

/** Routes: /ok, /json/ok, /json/degraded, /404, /500, /slow (3 s), /redirect (→ /ok), /loop, /gzip, /short (body cut), /auth, /echo. */
export function routes(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  switch (url.pathname) {
    case '/ok': return send(200, 'all ok here');
    case '/json/ok': return send(200, JSON.stringify({ status: 'ok', checks: [{ db: true }] }), { 'content-type': 'application/json' });
    case '/json/degraded': return send(200, JSON.stringify({ status: 'degraded' }), { 'content-type': 'application/json' });
    case '/404': return send(404, 'not found');
    case '/500': return send(500, 'internal error');
    case '/slow': { const t = setTimeout(() => send(200, 'late'), 3000); res.on('close', () => clearTimeout(t)); return; }
    case '/redirect': return send(302, '', { location: '/ok' });
    case '/loop': return send(302, '', { location: '/loop' });
    case '/gzip': {
      const z = gzipSync(Buffer.from('compressed ok '.repeat(100)));
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': z.length });
      return void res.end(z);
    }
    case '/short':
      res.writeHead(200, { 'content-length': 100 });
      res.write('0123456789', () => res.destroy());
      return;
    case '/auth': return req.headers.authorization === 'Basic dTpw' || req.headers.authorization === 'Bearer tok' ? send(200, 'welcome') : send(401, 'who?');
    case '/echo': {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => send(200, `${req.method} ${Buffer.concat(parts).toString()}`));
      return;
    }
    default: return send(404, 'no route');
  }
}

export interface Listening<S> { server: S; port: number; close(): Promise<void> }

function listen<S extends Server | NetServer>(server: S, host = '127.0.0.1'): Promise<Listening<S>> {
  return new Promise((resolve) => {
    server.listen(0, host, () => resolve({
      server,
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((r) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => r());
      }),
    }));
  });
}

export function startHttp(): Promise<Listening<Server>> {
  return listen(createServer(routes));
}

/** HTTPS with the fixture certificate `valid`, `expired` or `future` (signed by ca.pem). */
export function startHttps(cert: 'valid' | 'expired' | 'future'): Promise<Listening<Server>> {
  return listen(createHttpsServer({ cert: readFileSync(`${TESTDATA}${cert}.pem`), key: readFileSync(`${TESTDATA}${cert}.key`) }, routes));
}

/** A port with nothing listening: bound then closed. */
export async function refusedPort(): Promise<number> {
  const l = await listen(createNetServer());
  await l.close();
  return l.port;
}

/** Records the dnsmasq fixture serves (zone vigil.test). */
export const DNS_HOSTS = '10.1.2.3 web.vigil.test\n10.1.2.4 web.vigil.test\nfd00::1:2 web.vigil.test\n';

/**
 * dnsmasq on 127.0.0.1:<free port> (UDP and TCP) serving vigil.test from flags and an addn-hosts
 * file, or undefined when dnsmasq is not installed (`apt-get install -y dnsmasq`).
 */
export async function startDnsmasq(dir: string): Promise<Listening<null> | undefined> {
  if (spawnSync('dnsmasq', ['--version']).error) return undefined;
  const hosts = `${dir}/dns-hosts`;
  writeFileSync(hosts, DNS_HOSTS);
  const port = await refusedPort();
  const user = userInfo().username;
  const child = spawn('dnsmasq', [
    '--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
    `--addn-hosts=${hosts}`, `--user=${user}`, '--pid-file=', '--conf-file=/dev/null', '--local=/vigil.test/', '--local-ttl=300',
    '--mx-host=vigil.test,mail.vigil.test,10', '--txt-record=txt.vigil.test,v=spf1 -all',
    '--srv-host=_http._tcp.vigil.test,web.vigil.test,80,1,5', '--cname=alias.vigil.test,web.vigil.test',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  // Ready once it has read the hosts file; give up (and show its log) after 5 s.
  for (let i = 0; i < 100 && !log.includes('names'); i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!log.includes('names')) { child.kill('SIGKILL'); throw new Error(`dnsmasq did not start: ${log}`); }
  return {
    server: null,
    port,
    close: () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    }),
  };
}
