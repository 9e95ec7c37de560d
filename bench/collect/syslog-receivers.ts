/**
 * The three receivers of the syslog bench, each started in the foreground on a loopback TCP port
 * and writing every message it takes to one output file: rsyslog (imtcp → omfile), syslog-ng
 * (network() → file(), extracted under /opt/vigil-peers/syslog-ng) and a compiled `vigil agent`
 * (syslog source → file sink). Configs and outputs live in the caller's directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SyslogFormat } from './syslog-input.js';
import { captureOutput, stopChild, waitListening } from './proc.js';

const SNG_ROOT = '/opt/vigil-peers/syslog-ng';
const SNG_BIN = join(SNG_ROOT, 'usr/sbin/syslog-ng');
const SNG_ENV = {
  LD_LIBRARY_PATH: [join(SNG_ROOT, 'usr/lib/x86_64-linux-gnu'), join(SNG_ROOT, 'lib/x86_64-linux-gnu'), join(SNG_ROOT, 'usr/lib/syslog-ng')].join(':'),
};

export interface Receiver {
  name: string;
  proc: ChildProcess;
  outFile: string;
  /** What the receiver writes per line, for the report. */
  describe: string;
  output(): string;
  stop(): Promise<void>;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why rsyslog cannot run here, or undefined. */
export function rsyslogMissing(): string | undefined {
  return which('rsyslogd') || existsSync('/usr/sbin/rsyslogd') ? undefined : 'rsyslogd is not installed (bash .ci/peers.sh)';
}

/** Why the extracted syslog-ng cannot run here, or undefined. */
export function syslogNgMissing(): string | undefined {
  if (!existsSync(SNG_BIN)) return `syslog-ng is not extracted under ${SNG_ROOT} (bash .ci/peers.sh)`;
  const r = spawnSync(SNG_BIN, ['--version'], { env: { ...process.env, ...SNG_ENV }, encoding: 'utf8' });
  return r.status === 0 ? undefined : `extracted syslog-ng does not run: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
}

async function started(name: string, proc: ChildProcess, port: number, outFile: string, describe: string): Promise<Receiver> {
  const output = captureOutput(proc);
  const r: Receiver = { name, proc, outFile, describe, output, stop: () => stopChild(proc) };
  try {
    await waitListening(port, proc, output, name);
  } catch (e) {
    await r.stop();
    throw e;
  }
  return r;
}

/**
 * rsyslog: imtcp on `port` → omfile with a one-line template (time, host, tag, message); defaults
 * otherwise (main queue, one worker, no fsync), as a distribution ships it.
 */
export async function startRsyslog(dir: string, port: number): Promise<Receiver> {
  mkdirSync(dir, { recursive: true });
  const outFile = join(dir, 'out.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
template(name="bench" type="string" string="%timereported:::date-rfc3339% %hostname% %syslogtag%%msg%\\n")
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="bench")
ruleset(name="bench") {
  action(type="omfile" file="${outFile}" template="bench")
}
`);
  const proc = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin` } });
  return started('rsyslog', proc, port, outFile, 'imtcp → omfile, template `%timereported:::date-rfc3339% %hostname% %syslogtag%%msg%`');
}

/**
 * syslog-ng: network(tcp) on `port` → file() with the same one-line template. flow-control on the
 * log path makes it lossless (without it, a full destination queue drops messages, which would
 * make any rate meaningless); the source window is widened so flow control does not starve it.
 */
export async function startSyslogNg(dir: string, port: number, format: SyslogFormat): Promise<Receiver> {
  mkdirSync(dir, { recursive: true });
  const outFile = join(dir, 'out.log');
  const conf = join(dir, 'syslog-ng.conf');
  const flags = format === '5424' ? ' flags(syslog-protocol)' : '';
  writeFileSync(conf, `@version: 3.38
options { keep-hostname(yes); keep-timestamp(yes); stats-freq(0); chain-hostnames(no); };
source s_in { network(ip("127.0.0.1") port(${port}) transport("tcp") max-connections(10) log-iw-size(100000)${flags}); };
destination d_out { file("${outFile}" template("\${ISODATE} \${HOST} \${MSGHDR}\${MSG}\\n")); };
log { source(s_in); destination(d_out); flags(flow-control); };
`);
  const proc = spawn(SNG_BIN, [
    '-f', conf, '-F', '--no-caps', '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl'),
    '--module-path', join(SNG_ROOT, 'usr/lib/syslog-ng/3.38'),
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...SNG_ENV } });
  return started('syslog-ng', proc, port, outFile, 'network(tcp) → file(), template `${ISODATE} ${HOST} ${MSGHDR}${MSG}`, flags(flow-control)');
}

export interface VigilReceiverOptions {
  /** bin/vigil.js of the compiled build to run. */
  bin: string;
  /** The file sink's format: `text` (the message) or `ndjson` (time, labels, line, fields). */
  fileFormat: 'text' | 'ndjson';
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Vigil: `vigil agent` with a `syslog` source (tcp) → `file` sink (memory buffer, its default). */
export async function startVigil(dir: string, port: number, opts: VigilReceiverOptions): Promise<Receiver> {
  mkdirSync(dir, { recursive: true });
  const outFile = join(dir, 'out.log');
  const conf = join(dir, 'agent.yaml');
  writeFileSync(conf, `server:
  listen: 127.0.0.1:0
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
  file: false
sources:
  sys:
    type: syslog
    mode: tcp
    address: 127.0.0.1:${port}
sinks:
  out:
    type: file
    path: ${outFile}
    format: ${opts.fileFormat}
`);
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.bin, 'agent', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const what = opts.fileFormat === 'text' ? 'the message' : 'NDJSON {timestamp, labels, line, fields}';
  return started(`vigil (${opts.fileFormat})`, proc, port, outFile, `syslog (tcp) → file sink, format ${opts.fileFormat} (${what}), fsync per batch`);
}
