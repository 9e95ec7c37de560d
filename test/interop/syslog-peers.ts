/**
 * Runs the real syslog daemons for the interop tests: rsyslog (installed from Debian by
 * .ci/peers.sh) and syslog-ng (its .debs extracted under /opt/vigil-peers/syslog-ng, since it
 * conflicts with rsyslog in apt), in the foreground, on loopback ports, with configs in a temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SNG_ROOT = '/opt/vigil-peers/syslog-ng';
const SNG_BIN = join(SNG_ROOT, 'usr/sbin/syslog-ng');
const SNG_ENV = {
  LD_LIBRARY_PATH: [join(SNG_ROOT, 'usr/lib/x86_64-linux-gnu'), join(SNG_ROOT, 'lib/x86_64-linux-gnu'), join(SNG_ROOT, 'usr/lib/syslog-ng')].join(':'),
};

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why rsyslog cannot run here, or undefined when it can. */
export function rsyslogMissing(): string | undefined {
  const bin = which('rsyslogd');
  if (!bin) return 'rsyslogd is not installed (run `bash .ci/peers.sh`)';
  return undefined;
}

/** Why the extracted syslog-ng cannot run here, or undefined when it can. */
export function syslogNgMissing(): string | undefined {
  if (!existsSync(SNG_BIN)) return `syslog-ng is not extracted under ${SNG_ROOT} (run \`bash .ci/peers.sh\`)`;
  const r = spawnSync(SNG_BIN, ['--version'], { env: { ...process.env, ...SNG_ENV }, encoding: 'utf8' });
  if (r.status !== 0) return `extracted syslog-ng does not run: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  return undefined;
}

/** A free loopback TCP port (bound and released; the peer binds it right after). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface Peer {
  name: string;
  proc: ChildProcess;
  output(): string;
  /** Writes raw bytes to the peer's TCP input and closes the connection. */
  send(data: string): Promise<void>;
  stop(): Promise<void>;
}

async function waitListening(port: number, proc: ChildProcess, output: () => string, name: string): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${output()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${name} did not listen on ${port} in 15 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(name: string, bin: string, args: string[], env: Record<string, string>, inPort: number): Promise<Peer> {
  const proc = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const peer: Peer = {
    name,
    proc,
    output: () => out,
    send: (data) =>
      new Promise((res, rej) => {
        const s = net.connect({ host: '127.0.0.1', port: inPort }, () => s.end(data));
        s.on('error', rej);
        s.on('close', () => res());
      }),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  return waitListening(inPort, proc, peer.output, name).then(() => peer, async (err) => {
    await peer.stop();
    throw err;
  });
}

/** One forwarding action of a peer: where it sends and how. */
export interface Forward {
  port: number;
  transport: 'tcp' | 'udp';
  format: '3164' | '5424';
  /** TCP framing; RFC 5424 defaults to octet-counting, RFC 3164 is always newline framed. */
  framing?: 'octet' | 'newline';
}

function octet(f: Forward): boolean {
  return f.transport === 'tcp' && f.format === '5424' && f.framing !== 'newline';
}

/**
 * rsyslog with an imtcp input on `inPort` (imuxsock not loaded) and one omfwd action per forward:
 * RFC 5424 as RSYSLOG_SyslogProtocol23Format (octet-counted on TCP unless asked otherwise), RFC 3164 as
 * RSYSLOG_TraditionalForwardFormat (newline framing on TCP).
 */
export async function startRsyslog(inPort: number, forwards: Forward[]): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
  const actions = forwards.map((f) => {
    const template = f.format === '5424' ? 'RSYSLOG_SyslogProtocol23Format' : 'RSYSLOG_TraditionalForwardFormat';
    const framing = octet(f) ? ' TCP_Framing="octet-counted"' : '';
    return `  action(type="omfwd" target="127.0.0.1" port="${f.port}" protocol="${f.transport}" template="${template}"${framing})`;
  });
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${inPort}" ruleset="fwd")
ruleset(name="fwd") {
${actions.join('\n')}
}
`);
  return start('rsyslog', 'rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {}, inPort);
}

/**
 * syslog-ng with a network() TCP input (RFC 5424, newline framing) on `inPort` and per forward a
 * network() destination (RFC 3164, or RFC 5424 newline framed) or a syslog() one (RFC 5424, octet-counted on TCP).
 */
export async function startSyslogNg(inPort: number, forwards: Forward[]): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-ng-'));
  const dests = forwards.map((f, i) => {
    // syslog() frames RFC 5424 with octet counts; network() with flags(syslog-protocol) sends it
    // newline framed.
    const driver = f.format === '5424' && (octet(f) || f.transport === 'udp') ? 'syslog' : 'network';
    const flags = driver === 'network' && f.format === '5424' ? ' flags(syslog-protocol)' : '';
    return `destination d${i} { ${driver}("127.0.0.1" port(${f.port}) transport("${f.transport}")${flags}); };`;
  });
  const conf = join(dir, 'syslog-ng.conf');
  writeFileSync(conf, `@version: 3.38
options { keep-hostname(yes); keep-timestamp(yes); stats-freq(0); frac-digits(6); send-time-zone("+00:00"); };
source s_in { network(ip("127.0.0.1") port(${inPort}) transport("tcp") flags(syslog-protocol)); };
${dests.join('\n')}
log { source(s_in); ${forwards.map((_, i) => `destination(d${i});`).join(' ')} };
`);
  return start('syslog-ng', SNG_BIN, [
    '-f', conf, '-F', '--no-caps', '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl'),
    '--module-path', join(SNG_ROOT, 'usr/lib/syslog-ng/3.38'),
  ], SNG_ENV, inPort);
}
