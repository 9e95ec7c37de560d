/**
 * File tail → parse JSON → HTTP sink, end to end: a generated file of JSON lines (default
 * 1,500,000 of ~220 bytes) is read from the beginning by a compiled `vigil agent` (`file` source,
 * `json` parser stage promoting `level` to a label) and POSTed as NDJSON by the `http` sink to a
 * local receiver in its own process (counts lines, answers 200 at once; its CPU is not Vigil's).
 * Run once per sink buffer: `memory` and the default (`disk`). Lines/s from the agent's start until
 * the receiver has every line (startup included), the rate between the first and the last request,
 * the agent's CPU seconds and peak RSS (VmHWM) from /proc.
 *
 * Usage: node --import tsx bench/http-pipeline-bench.ts [--lines 1500000] [--buffers memory,disk]
 *   [--bin bin/vigil.js] [--prof DIR] [--cache DIR]
 * Prints the markdown table on stderr and the result as one JSON line on stdout (for bench/run.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeJsonInput } from './collect/json-input.js';
import { captureOutput, load1, sampleProc, sleep, stopChild, type ProcSample } from './collect/proc.js';

const ROOT = resolve(import.meta.dirname, '..');

export type BufferKind = 'memory' | 'disk';

export interface HttpPipelineOptions {
  lines: number;
  buffers?: BufferKind[];
  vigilBin?: string;
  profDir?: string;
  cacheDir?: string;
  stallMs?: number;
}

export interface HttpPipelineRun {
  buffer: BufferKind;
  /** Whether this is the sink's default buffer (no `buffer:` key in the config). */
  default_buffer: boolean;
  seconds: number;
  lines_per_s: number;
  /** Between the receiver's first and last request (startup and the first read excluded). */
  flow_lines_per_s: number;
  cpu_s: number;
  lines_per_cpu_s: number;
  peak_rss_mb: number;
  requests: number;
  receiver_cpu_s: number;
}

export interface HttpPipelineResult {
  bench: 'http-pipeline';
  lines: number;
  file_mb: number;
  avg_line_bytes: number;
  load_before: number;
  runs: HttpPipelineRun[];
  targets: { lines_per_s: number; peak_rss_mb: number };
}

function ensureBuilt(): string {
  if (!existsSync(join(ROOT, 'dist/cli/agent.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return join(ROOT, 'bin/vigil.js');
}

async function startReceiver(): Promise<{ proc: ChildProcess; port: number; output: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'collect/http-receiver.ts'), '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(proc);
  const port = await new Promise<number>((res, rej) => {
    const iv = setInterval(() => {
      const m = /listening (\d+)/.exec(output());
      if (m) {
        clearInterval(iv);
        res(Number(m[1]));
      }
    }, 20);
    proc.once('exit', (c) => {
      clearInterval(iv);
      rej(new Error(`receiver exited ${c}: ${output()}`));
    });
  });
  return { proc, port, output };
}

interface Count {
  lines: number;
  requests: number;
  first_ms: number;
  last_ms: number;
}

async function count(port: number): Promise<Count> {
  const r = await fetch(`http://127.0.0.1:${port}/count`);
  return (await r.json()) as Count;
}

function agentConfig(dir: string, input: string, port: number, buffer: BufferKind, isDefault: boolean): string {
  return `server:
  listen: 127.0.0.1:0
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
  file: false
sources:
  app:
    type: file
    include: ["${input}"]
    start_at: beginning
    labels: { job: bench }
    pipeline:
      - type: json
        labels: [level]
sinks:
  out:
    type: http
    url: http://127.0.0.1:${port}/ingest
    encoding: ndjson
${isDefault ? '' : `    buffer: { type: ${buffer} }\n`}`;
}

async function runOnce(dir: string, bin: string, input: string, lines: number, buffer: BufferKind, opts: HttpPipelineOptions): Promise<HttpPipelineRun> {
  const isDefault = buffer === 'disk';
  const rdir = join(dir, buffer);
  mkdirSync(rdir, { recursive: true });
  const rec = await startReceiver();
  let agent: ChildProcess | undefined;
  let agentOutput: (() => string) | undefined;
  try {
    const conf = join(rdir, 'agent.yaml');
    writeFileSync(conf, agentConfig(rdir, input, rec.port, buffer, isDefault));
    const prof = opts.profDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=http-pipeline-${buffer}-${Date.now()}.cpuprofile`] : [];
    const t0 = performance.now();
    // VIGIL_BENCH_NODE_ARGS: extra node flags for the agent (heap experiments, --trace-gc).
    const extra = (process.env.VIGIL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    agent = spawn(process.execPath, [...extra, ...prof, bin, 'agent', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(agent);
    agentOutput = output;
    const pid = agent.pid ?? 0;
    let last: ProcSample = sampleProc(pid);
    let seen = 0;
    let progressAt = t0;
    let c: Count;
    for (;;) {
      await sleep(50);
      if (agent.exitCode !== null) throw new Error(`vigil agent exited ${agent.exitCode}: ${output()}`);
      last = sampleProc(pid);
      c = await count(rec.port);
      const now = performance.now();
      if (c.lines >= lines) break;
      if (c.lines > seen) {
        seen = c.lines;
        progressAt = now;
      } else if (now - progressAt > (opts.stallMs ?? 60_000)) {
        throw new Error(`buffer ${buffer}: ${c.lines}/${lines} lines received, no progress for ${(opts.stallMs ?? 60_000) / 1000} s: ${output().slice(-2000)}`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (c.lines !== lines) throw new Error(`buffer ${buffer}: the receiver counted ${c.lines} lines for ${lines} written (duplicates?)`);
    const flowSeconds = Math.max(0.001, (c.last_ms - c.first_ms) / 1000);
    const recCpu = sampleProc(rec.proc.pid ?? 0).cpuSeconds;
    return {
      buffer,
      default_buffer: isDefault,
      seconds: +seconds.toFixed(2),
      lines_per_s: Math.round(lines / seconds),
      flow_lines_per_s: Math.round(lines / flowSeconds),
      cpu_s: +last.cpuSeconds.toFixed(2),
      lines_per_cpu_s: Math.round(lines / Math.max(0.01, last.cpuSeconds)),
      peak_rss_mb: Math.round(last.peakRssMb),
      requests: c.requests,
      receiver_cpu_s: +recCpu.toFixed(2),
    };
  } finally {
    if (agent) await stopChild(agent);
    if (agent && process.env.VIGIL_BENCH_AGENT_LOG) writeFileSync(`${process.env.VIGIL_BENCH_AGENT_LOG}.${buffer}`, agentOutput?.() ?? '');
    await stopChild(rec.proc);
  }
}

/** Runs the pipeline once per buffer kind on the same generated file; throws on a lost or stalled run. */
export async function runHttpPipelineBench(opts: HttpPipelineOptions): Promise<HttpPipelineResult> {
  const bin = opts.vigilBin ?? ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-http-'));
  try {
    const input = opts.cacheDir ? join(opts.cacheDir, `json-${opts.lines}.log`) : join(dir, 'app.log');
    if (!opts.cacheDir || !existsSync(input)) {
      process.stderr.write(`generating ${opts.lines.toLocaleString('en')} JSON lines...\n`);
      await writeJsonInput(input, opts.lines);
    }
    const bytes = statSync(input).size;
    const load = load1();
    const runs: HttpPipelineRun[] = [];
    for (const b of opts.buffers ?? ['memory', 'disk']) {
      const r = await runOnce(dir, bin, input, opts.lines, b, opts);
      process.stderr.write(`buffer ${b}: ${r.lines_per_s.toLocaleString('en')} lines/s (flow ${r.flow_lines_per_s.toLocaleString('en')}), ${r.cpu_s} CPU-s, peak RSS ${r.peak_rss_mb} MB\n`);
      runs.push(r);
      await sleep(1000);
    }
    return {
      bench: 'http-pipeline',
      lines: opts.lines,
      file_mb: +(bytes / 1e6).toFixed(1),
      avg_line_bytes: Math.round(bytes / opts.lines),
      load_before: load,
      runs,
      targets: { lines_per_s: 300_000, peak_rss_mb: 150 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en');

/** The result as a markdown section: one row per buffer kind, with the targets. */
export function renderHttpPipelineBench(r: HttpPipelineResult): string {
  const ok = (b: boolean) => (b ? 'met' : 'missed');
  return [
    `### file tail → json parser → http sink (NDJSON) to a local receiver (${fmt(r.lines)} lines, ${r.file_mb} MB, ~${r.avg_line_bytes} B/line)`,
    '',
    '| sink buffer | lines/s (from agent start) | lines/s (first → last request) | CPU s | lines per CPU-s | peak RSS | requests | targets (>= 300k lines/s, <= 150 MB) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.runs.map((x) => `| ${x.buffer}${x.default_buffer ? ' (default)' : ''} | ${fmt(x.lines_per_s)} | ${fmt(x.flow_lines_per_s)} | ${x.cpu_s} | ${fmt(x.lines_per_cpu_s)} | ${x.peak_rss_mb} MB | ${fmt(x.requests)} | rate ${ok(x.lines_per_s >= r.targets.lines_per_s)}, RSS ${ok(x.peak_rss_mb <= r.targets.peak_rss_mb)} |`),
    '',
    `Load average before the run: ${r.load_before}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv;
  const val = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const buffers = val('buffers')?.split(',') as BufferKind[] | undefined;
  for (const b of buffers ?? []) if (b !== 'memory' && b !== 'disk') throw new Error(`--buffers: ${b} is not memory or disk`);
  const bin = val('bin');
  const profDir = val('prof');
  const cacheDir = val('cache');
  const result = await runHttpPipelineBench({
    lines: Number(val('lines') ?? 1_500_000),
    ...(buffers ? { buffers } : {}),
    ...(bin ? { vigilBin: resolve(bin) } : {}),
    ...(profDir ? { profDir: resolve(profDir) } : {}),
    ...(cacheDir ? { cacheDir: resolve(cacheDir) } : {}),
  });
  process.stderr.write(`\n${renderHttpPipelineBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
