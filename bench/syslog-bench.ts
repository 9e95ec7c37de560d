/**
 * syslog over one TCP connection into a file: the same generated input (default 2,000,000 RFC 3164
 * lines of ~120 bytes, 24 hosts, 8 apps, every facility and severity) sent to rsyslog (imtcp →
 * omfile), syslog-ng (network() → file()) and a compiled `vigil agent` (syslog source → file sink,
 * once writing the message text and once NDJSON). A separate sender process writes pre-built
 * buffers as fast as each receiver takes them; the receiver's wall time runs from the first byte
 * until its output file holds every line, its CPU (utime+stime of all threads and reaped children,
 * from /proc) over the same span, and its peak RSS (VmHWM).
 *
 * Usage: node --import tsx bench/syslog-bench.ts [--lines 2000000] [--format 3164|5424]
 *   [--only rsyslog,syslog-ng,vigil-text,vigil-ndjson] [--bin bin/vigil.js] [--prof DIR] [--cache DIR]
 * Prints the markdown table on stderr and the result as one JSON line on stdout (for bench/run.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter } from './collect/line-counter.js';
import { freePort, load1, sampleProc, sleep, type ProcSample } from './collect/proc.js';
import { writeSyslogInput, type SyslogFormat } from './collect/syslog-input.js';
import { rsyslogMissing, startRsyslog, startSyslogNg, startVigil, syslogNgMissing, type Receiver } from './collect/syslog-receivers.js';

const ROOT = resolve(import.meta.dirname, '..');

export type SyslogReceiverId = 'rsyslog' | 'syslog-ng' | 'vigil-text' | 'vigil-ndjson';
export const ALL_RECEIVERS: SyslogReceiverId[] = ['rsyslog', 'syslog-ng', 'vigil-text', 'vigil-ndjson'];

export interface SyslogBenchOptions {
  lines: number;
  format: SyslogFormat;
  receivers?: SyslogReceiverId[];
  /** bin/vigil.js of the compiled build (default: this checkout's, built when dist/ is missing). */
  vigilBin?: string;
  /** Write a V8 CPU profile of each Vigil receiver into this directory. */
  profDir?: string;
  /** Keep the generated input here and reuse it in later runs of the same size and format. */
  cacheDir?: string;
  /** Give up on a receiver whose output stops growing for this long. */
  stallMs?: number;
}

export interface SyslogReceiverResult {
  id: SyslogReceiverId;
  name: string;
  describe: string;
  /** Set when the receiver could not run here (then the figures are 0). */
  skipped?: string;
  seconds: number;
  lines_per_s: number;
  cpu_s: number;
  /** The kernel's part of cpu_s. */
  sys_cpu_s: number;
  lines_per_cpu_s: number;
  peak_rss_mb: number;
  out_mb: number;
  sender_cpu_s: number;
}

export interface SyslogBenchResult {
  bench: 'syslog';
  lines: number;
  format: SyslogFormat;
  input_mb: number;
  avg_line_bytes: number;
  load_before: number;
  receivers: SyslogReceiverResult[];
  /** Vigil (text / ndjson) over each peer, in lines per CPU-second and lines/s (>1: Vigil better). */
  ratios: Record<string, number>;
}

function ensureBuilt(): string {
  if (!existsSync(join(ROOT, 'dist/cli/agent.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return join(ROOT, 'bin/vigil.js');
}

interface Sent {
  bytes: number;
  seconds: number;
  cpu_s: number;
}

/** Starts the sender process and resolves once it has loaded the input. */
async function startSender(port: number, input: string): Promise<{ go(): void; done: Promise<Sent> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'collect/sender.ts'), String(port), input], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.startsWith('ready\n')) res();
    });
    void exited.then((c) => rej(new Error(`sender exited ${c} before it was ready: ${err}`)));
  });
  const done = exited.then((code) => {
    const line = out.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`sender failed (exit ${code}): ${err}`);
    return JSON.parse(line) as Sent;
  });
  return { go: () => child.stdin.end('go\n'), done };
}

async function measure(id: SyslogReceiverId, rec: Receiver, port: number, input: string, lines: number, stallMs: number): Promise<SyslogReceiverResult> {
  const pid = rec.proc.pid ?? 0;
  const counter = new LineCounter(rec.outFile);
  try {
    const sender = await startSender(port, input);
    const before = sampleProc(pid);
    const t0 = performance.now();
    sender.go();
    let last: ProcSample = before;
    let seen = 0;
    let progressAt = t0;
    let senderError: unknown;
    sender.done.catch((e: unknown) => (senderError = e));
    for (;;) {
      await sleep(25);
      if (rec.proc.exitCode !== null || rec.proc.signalCode !== null) throw new Error(`${rec.name} exited (${rec.proc.exitCode ?? rec.proc.signalCode}) after ${counter.poll()}/${lines} lines: ${rec.output().slice(-2000)}`);
      const n = counter.poll();
      last = sampleProc(pid);
      const now = performance.now();
      if (n >= lines) break;
      if (senderError) throw senderError;
      if (n > seen) {
        seen = n;
        progressAt = now;
      } else if (now - progressAt > stallMs) {
        throw new Error(`${rec.name}: ${n}/${lines} lines written, no progress for ${stallMs / 1000} s: ${rec.output().slice(-2000)}`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const sent = await sender.done;
    const cpu = last.cpuSeconds - before.cpuSeconds;
    return {
      id,
      name: rec.name,
      describe: rec.describe,
      seconds: +seconds.toFixed(2),
      lines_per_s: Math.round(lines / seconds),
      cpu_s: +cpu.toFixed(2),
      sys_cpu_s: +(last.systemSeconds - before.systemSeconds).toFixed(2),
      lines_per_cpu_s: Math.round(lines / Math.max(cpu, 0.01)),
      peak_rss_mb: Math.round(last.peakRssMb),
      out_mb: +(counter.bytes / 1e6).toFixed(1),
      sender_cpu_s: +sent.cpu_s.toFixed(2),
    };
  } finally {
    counter.close();
  }
}

function skipped(id: SyslogReceiverId, why: string): SyslogReceiverResult {
  return { id, name: id, describe: '', skipped: why, seconds: 0, lines_per_s: 0, cpu_s: 0, sys_cpu_s: 0, lines_per_cpu_s: 0, peak_rss_mb: 0, out_mb: 0, sender_cpu_s: 0 };
}

/**
 * Runs the receivers one after the other on the same input. A peer that is not installed is
 * reported as skipped (with the reason); a receiver that fails or loses lines throws.
 */
export async function runSyslogBench(opts: SyslogBenchOptions): Promise<SyslogBenchResult> {
  const ids = opts.receivers ?? ALL_RECEIVERS;
  const bin = opts.vigilBin ?? ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-syslog-'));
  try {
    const input = opts.cacheDir ? join(opts.cacheDir, `syslog-${opts.format}-${opts.lines}.log`) : join(dir, 'input.log');
    if (!opts.cacheDir || !existsSync(input)) {
      process.stderr.write(`generating ${opts.lines.toLocaleString('en')} RFC ${opts.format} lines...\n`);
      await writeSyslogInput(input, opts.lines, opts.format);
    }
    const inputBytes = statSync(input).size;
    const load = load1();
    const results: SyslogReceiverResult[] = [];
    for (const id of ids) {
      const why = id === 'rsyslog' ? rsyslogMissing() : id === 'syslog-ng' ? syslogNgMissing() : undefined;
      if (why) {
        process.stderr.write(`${id}: skipped: ${why}\n`);
        results.push(skipped(id, why));
        continue;
      }
      const port = await freePort();
      const rdir = join(dir, id);
      const rec = id === 'rsyslog'
        ? await startRsyslog(rdir, port)
        : id === 'syslog-ng'
          ? await startSyslogNg(rdir, port, opts.format)
          : await startVigil(rdir, port, {
            bin,
            fileFormat: id === 'vigil-text' ? 'text' : 'ndjson',
            // VIGIL_BENCH_NODE_ARGS: extra node flags for Vigil (heap experiments).
            nodeArgs: [...(process.env.VIGIL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(opts.profDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=syslog-${id}-${Date.now()}.cpuprofile`] : [])],
          });
      try {
        await sleep(500); // let the receiver finish starting before its CPU is sampled
        const r = await measure(id, rec, port, input, opts.lines, opts.stallMs ?? 60_000);
        process.stderr.write(`${r.name}: ${r.lines_per_s.toLocaleString('en')} lines/s, ${r.lines_per_cpu_s.toLocaleString('en')} lines/CPU-s, ${r.cpu_s} CPU-s (kernel ${r.sys_cpu_s}), peak RSS ${r.peak_rss_mb} MB\n`);
        results.push(r);
      } finally {
        await rec.stop();
        rmSync(rdir, { recursive: true, force: true });
      }
      await sleep(1000);
    }
    const ratios: Record<string, number> = {};
    const by = (id: SyslogReceiverId) => results.find((r) => r.id === id && !r.skipped);
    for (const v of ['vigil-text', 'vigil-ndjson'] as const) {
      for (const p of ['rsyslog', 'syslog-ng'] as const) {
        const a = by(v);
        const b = by(p);
        if (!a || !b) continue;
        ratios[`${v}_vs_${p}_lines_per_cpu_s`] = +(a.lines_per_cpu_s / b.lines_per_cpu_s).toFixed(3);
        ratios[`${v}_vs_${p}_lines_per_s`] = +(a.lines_per_s / b.lines_per_s).toFixed(3);
      }
    }
    return {
      bench: 'syslog',
      lines: opts.lines,
      format: opts.format,
      input_mb: +(inputBytes / 1e6).toFixed(1),
      avg_line_bytes: Math.round(inputBytes / opts.lines),
      load_before: load,
      receivers: results,
      ratios,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en');

/** The result as a markdown section (a table per receiver, then the ratios against the peers). */
export function renderSyslogBench(r: SyslogBenchResult): string {
  const rows = r.receivers.map((x) => x.skipped
    ? `| ${x.name} | skipped: ${x.skipped} | | | | | |`
    : `| ${x.name} | ${fmt(x.lines_per_s)} | ${fmt(x.lines_per_cpu_s)} | ${x.cpu_s} (${x.sys_cpu_s}) | ${x.seconds} | ${x.peak_rss_mb} MB | ${x.describe} |`);
  const ratio = (v: string, p: string) => {
    const c = r.ratios[`${v}_vs_${p}_lines_per_cpu_s`];
    const s = r.ratios[`${v}_vs_${p}_lines_per_s`];
    return c === undefined || s === undefined ? 'n/a' : `${c.toFixed(2)}× per CPU-s, ${s.toFixed(2)}× lines/s`;
  };
  return [
    `### syslog over one TCP connection → file (${fmt(r.lines)} RFC ${r.format} lines, ${r.input_mb} MB, ~${r.avg_line_bytes} B/line)`,
    '',
    '| receiver | lines/s | lines per CPU-s | CPU s (kernel) | wall s | peak RSS | pipeline |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Vigil (text) vs rsyslog: ${ratio('vigil-text', 'rsyslog')}; vs syslog-ng: ${ratio('vigil-text', 'syslog-ng')}.`,
    `Vigil (ndjson) vs rsyslog: ${ratio('vigil-ndjson', 'rsyslog')}; vs syslog-ng: ${ratio('vigil-ndjson', 'syslog-ng')}.`,
    `Target: Vigil >= rsyslog in lines per CPU-second (>= 1.00×). Load average before the run: ${r.load_before}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv;
  const val = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const format = (val('format') ?? '3164') as SyslogFormat;
  if (format !== '3164' && format !== '5424') throw new Error('--format is 3164 or 5424');
  const only = val('only')?.split(',') as SyslogReceiverId[] | undefined;
  for (const o of only ?? []) if (!ALL_RECEIVERS.includes(o)) throw new Error(`--only: unknown receiver ${o} (${ALL_RECEIVERS.join(', ')})`);
  const bin = val('bin');
  const profDir = val('prof');
  const cacheDir = val('cache');
  const result = await runSyslogBench({
    lines: Number(val('lines') ?? 2_000_000),
    format,
    ...(only ? { receivers: only } : {}),
    ...(bin ? { vigilBin: resolve(bin) } : {}),
    ...(profDir ? { profDir: resolve(profDir) } : {}),
    ...(cacheDir ? { cacheDir: resolve(cacheDir) } : {}),
  });
  process.stderr.write(`\n${renderSyslogBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
