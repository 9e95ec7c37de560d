/**
 * Process measurement and control for the collection benches: CPU seconds and peak RSS of a
 * receiver read from /proc (so a peer written in C and a Node process are measured the same way),
 * readiness waits, and a stop that never leaves a receiver behind.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** utime + stime + cutime + cstime: every thread of the process and its reaped children. */
  cpuSeconds: number;
  /** The kernel's share of cpuSeconds (stime + cstime): syscalls, page cache, fsync, TCP. */
  systemSeconds: number;
  /** VmHWM: the highest resident set size the process has had so far. */
  peakRssMb: number;
  rssMb: number;
}

/** Reads /proc/<pid>/stat and /status; throws when the process is gone (a receiver died). */
export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const sys = Number(f[12]) + Number(f[14]);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, systemSeconds: sys / TICKS_PER_SECOND, peakRssMb: hwm / 1024, rssMb: rss / 1024 };
}

/** A free loopback TCP port (bound and released; the receiver binds it right after). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Collects a child's stdout+stderr (last 64 KiB) for error messages. */
export function captureOutput(proc: ChildProcess): () => string {
  let out = '';
  const add = (c: Buffer) => {
    out += c.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => out;
}

/** Resolves once something accepts TCP connections on `port`; fails when `proc` exits or after `ms`. */
export async function waitListening(port: number, proc: ChildProcess, output: () => string, name: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}): ${output()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${name} did not listen on ${port} in ${ms / 1000} s: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(proc: ChildProcess, graceMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Load average over the last minute (the benches print it: numbers on a busy machine are noisy). */
export function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
