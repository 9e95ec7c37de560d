/**
 * Process control and measurement for the monitoring and metrics benches: CPU seconds and RSS of
 * a child read from /proc (utime+stime, VmRSS, VmHWM), a compiled `vigil run` started from a
 * config text, and a stop that never leaves a child behind. Kept apart from bench/collect/ so
 * these benches depend on nothing another bench may change.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

// One /proc reader for every bench (CPU includes reaped children; vigil run's probes spawn none but `command`).
export { sampleProc, type ProcSample } from '../collect/proc.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Load average over the last minute (printed with every result: a busy machine gives noisy numbers). */
export function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Builds dist/ when it is missing; returns the compiled CLI entry. */
export function ensureBuilt(): string {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return join(ROOT, 'bin/vigil.js');
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

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(proc: ChildProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export interface StartedVigil {
  proc: ChildProcess;
  url: string;
  output: () => string;
  /** Milliseconds from spawn until the API logged its URL. */
  startupMs: number;
}

/**
 * Writes `configText` to `<dir>/vigil.yaml` and starts `node [nodeArgs] <bin> run -c` on it;
 * resolves once the server logged its URL (logging.format must be json). Rejects with the
 * process's output when it exits first or is not ready within `readyMs`.
 */
export async function startVigil(bin: string, dir: string, configText: string, nodeArgs: string[] = [], readyMs = 180_000): Promise<StartedVigil> {
  const cfg = join(dir, 'vigil.yaml');
  writeFileSync(cfg, configText);
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'run', '-c', cfg], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(proc);
  const url = await new Promise<string>((res, rej) => {
    const iv = setInterval(() => {
      const m = /"url":"(http[^"]+)"/.exec(output());
      if (m?.[1]) {
        clearInterval(iv);
        res(m[1]);
      } else if (performance.now() - t0 > readyMs) {
        clearInterval(iv);
        proc.kill('SIGKILL');
        rej(new Error(`vigil not ready in ${readyMs / 1000} s: ${output().slice(-3000)}`));
      }
    }, 20);
    proc.once('exit', (c) => {
      clearInterval(iv);
      rej(new Error(`vigil exited ${c}: ${output().slice(-3000)}`));
    });
  });
  return { proc, url, output, startupMs: performance.now() - t0 };
}

/** Sums every sample of `name` on a Prometheus text page whose label set contains `labels`. */
export function sumMetric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
