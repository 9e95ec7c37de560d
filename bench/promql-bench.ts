/**
 * PromQL range queries, Vigil against the real Prometheus, over the same data. node_exporter-like
 * series (bench/metrics/node-series.ts: `hosts` × 52 series, one scrape every 15 s, `hours` of
 * history ending at the current minute) are sent in time order, as byte-identical remote write
 * requests, to a compiled `vigil run` and to Prometheus (empty TSDB, remote write receiver on).
 * Reports:
 * - ingest samples/s of each receiver (request time only; generation and encoding excluded) and
 *   Vigil's samples per CPU-second;
 * - disk bytes per sample: Vigil's metrics dir after a clean stop, Prometheus's TSDB dir as it is
 *   (blocks + head chunks + WAL) and a snapshot that writes everything as blocks;
 * - per dashboard query and range (step 60 s): median latency over `runs` runs on each server
 *   (request to last byte over HTTP), the ratio Vigil/Prometheus, and whether the answers agree
 *   (same series, timestamps, values within 1e-9 relative).
 * Vigil is restarted on its data before the queries, so they read what it persisted.
 *
 * Usage: node --import tsx bench/promql-bench.ts [--hosts 200] [--hours 7] [--runs 5]
 *   [--ranges 1,6] [--bin bin/vigil.js] [--prof DIR] [--prometheus prometheus] [--rss]
 *   [--chunk-cache SIZE] (Vigil's decoded-chunk cache; 0 = every query reads and decodes)
 * (--prof writes two V8 CPU profiles of Vigil into DIR: promql-ingest-* and promql-query-*.)
 * Prints the markdown on stderr and the result as one JSON line on stdout (for bench/run.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareMatrix, type CompareResult, type MatrixSeries } from './metrics/compare.js';
import { hostOffsetMs, makeSeries, Rng, SCRAPE_MS, stepSeries } from './metrics/node-series.js';
import { blockDirs, dirBytes, expectedBlocks, prometheusDisk, prometheusMissing, prometheusVersion, startPrometheus, type PromDisk, type PrometheusPeer } from './metrics/prometheus-peer.js';
import { compressedWriteRequest, encodeLabels, postWrite, type EncodeSeries } from './metrics/remote-write-encode.js';
import { ensureBuilt, load1, median, sampleProc, sleep, startVigil, stopChild, type StartedVigil } from './metrics/proc.js';

/** The dashboard queries compared; `common` ones carry the <= 1.0 latency ratio target. */
export const QUERIES: Array<{ name: string; expr: string; common: boolean }> = [
  { name: 'rate', expr: 'rate(node_cpu_seconds_total{mode!="idle"}[5m])', common: true },
  { name: 'sum by instance (rate)', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', common: true },
  { name: 'avg by mode (rate)', expr: 'avg by (mode) (rate(node_cpu_seconds_total[5m]))', common: true },
  { name: 'memory ratio', expr: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', common: true },
  { name: 'histogram_quantile', expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', common: true },
  { name: 'topk', expr: 'topk(5, sum by (instance) (rate(node_network_receive_bytes_total[5m])))', common: true },
  { name: 'max_over_time 1h', expr: 'max_over_time(node_load1[1h])', common: false },
];

export interface PromqlBenchOptions {
  hosts: number;
  hours: number;
  runs?: number;
  /** Query ranges in hours (each must be <= hours - 1: max_over_time looks back 1 h more). */
  rangesH?: number[];
  vigilBin?: string;
  prometheusBin?: string;
  profDir?: string;
  /** Print Vigil's resident memory (VmRSS, VmHWM) before and after the queries on stderr. */
  rss?: boolean;
  /** Vigil's storage.metrics.chunk_cache_size (its default when absent; "0" measures without the cache). */
  chunkCache?: string;
}

export interface QueryRow {
  name: string;
  expr: string;
  range_h: number;
  common: boolean;
  vigil_ms: number;
  prometheus_ms: number;
  ratio: number;
  series: number;
  points: number;
  equal: boolean;
  max_rel_diff: number;
  mismatch?: string;
}

export interface PromqlBenchResult {
  bench: 'promql';
  prometheus_version: string;
  hosts: number;
  series: number;
  hours: number;
  samples: number;
  runs: number;
  ingest: { vigil_samples_per_s: number; prometheus_samples_per_s: number; vigil_samples_per_cpu_s: number; requests: number };
  disk: { vigil_bytes: number; vigil_bytes_per_sample: number; prometheus: PromDisk; prometheus_bytes_per_sample: number; prometheus_snapshot_bytes_per_sample: number };
  queries: QueryRow[];
  load_before: number;
}

const SCRAPES_PER_REQUEST = 20;

function vigilConfig(dir: string, chunkCache?: string): string {
  const metrics = chunkCache === undefined ? '' : `  metrics:\n    chunk_cache_size: ${JSON.stringify(chunkCache)}\n`;
  return `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'data')}\n${metrics}logging:\n  format: json\n  file: false\nhost_metrics:\n  enabled: false\nsources: {}\nsinks: {}\n`;
}

/** Sends the generated data to both receivers; returns samples and the time each spent in requests. */
async function ingest(vigilUrl: string, promUrl: string, hosts: number, hours: number, endMs: number, vigilPid: number) {
  const gens = makeSeries(hosts);
  const enc: EncodeSeries[] = gens.map((g) => ({ labels: encodeLabels(g.labels), t: new Array<number>(SCRAPES_PER_REQUEST), v: new Float64Array(SCRAPES_PER_REQUEST), n: 0 }));
  const scrapes = Math.round((hours * 3_600_000) / SCRAPE_MS);
  const startMs = endMs - scrapes * SCRAPE_MS;
  const rng = new Rng(7);
  const hostRng = new Rng(11);
  const offs = Array.from({ length: hosts }, (_, h) => hostOffsetMs(h));
  let samples = 0;
  let vigilMs = 0;
  let promMs = 0;
  let requests = 0;
  const cpu0 = sampleProc(vigilPid).cpuSeconds;
  for (let s = 0; s < scrapes; s += SCRAPES_PER_REQUEST) {
    const n = Math.min(SCRAPES_PER_REQUEST, scrapes - s);
    for (let k = 0; k < n; k++) {
      const draws = Array.from({ length: hosts }, () => hostRng.next());
      for (let i = 0; i < gens.length; i++) {
        const g = gens[i]!;
        const e = enc[i]!;
        (e.t as number[])[k] = startMs + (s + k) * SCRAPE_MS + offs[g.host]!;
        (e.v as Float64Array)[k] = stepSeries(g, rng, draws[g.host]!);
      }
    }
    for (const e of enc) e.n = n;
    const body = compressedWriteRequest(enc);
    let t = performance.now();
    await postWrite(`${vigilUrl}/api/v1/write`, body);
    vigilMs += performance.now() - t;
    t = performance.now();
    await postWrite(`${promUrl}/api/v1/write`, body);
    promMs += performance.now() - t;
    samples += n * gens.length;
    requests++;
  }
  const cpu = sampleProc(vigilPid).cpuSeconds - cpu0;
  return { series: gens.length, samples, vigilMs, promMs, requests, cpu, minT: startMs + Math.min(...offs), maxT: startMs + (scrapes - 1) * SCRAPE_MS + Math.max(...offs) };
}

interface Timed {
  ms: number;
  result: MatrixSeries[];
}

async function queryRange(url: string, expr: string, start: number, end: number): Promise<Timed> {
  const params = new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: '60' });
  const t = performance.now();
  const res = await fetch(`${url}/api/v1/query_range?${params}`);
  const text = await res.text();
  const ms = performance.now() - t;
  if (!res.ok) throw new Error(`${url}: ${expr} answered ${res.status}: ${text.slice(0, 1000)}`);
  const body = JSON.parse(text) as { status: string; data: { resultType: string; result: MatrixSeries[] } };
  if (body.status !== 'success' || body.data.resultType !== 'matrix') throw new Error(`${url}: ${expr}: ${text.slice(0, 1000)}`);
  return { ms, result: body.data.result };
}

/** Waits until Prometheus has cut the blocks its compaction rule gives (it checks once a minute). */
async function waitCompaction(p: PrometheusPeer, want: number): Promise<void> {
  const until = Date.now() + 180_000;
  while (blockDirs(p.dataDir).length < want && Date.now() < until) await sleep(2000);
}

/** Runs the whole comparison; throws when a server fails or refuses data. */
export async function runPromqlBench(opts: PromqlBenchOptions): Promise<PromqlBenchResult> {
  const missing = prometheusMissing(opts.prometheusBin);
  if (missing) throw new Error(missing);
  const bin = opts.vigilBin ?? ensureBuilt();
  const runs = opts.runs ?? 5;
  const ranges = opts.rangesH ?? [1, 6];
  for (const r of ranges) if (r > opts.hours - 1) throw new Error(`range ${r} h needs at least ${r + 1} h of data (--hours)`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-promql-'));
  let vigil: StartedVigil | undefined;
  let prom: PrometheusPeer | undefined;
  try {
    const load = load1();
    const endMs = Math.floor(Date.now() / 60_000) * 60_000;
    const prof = (phase: string) => (opts.profDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=promql-${phase}-${Date.now()}.cpuprofile`] : []);
    vigil = await startVigil(bin, dir, vigilConfig(dir, opts.chunkCache), prof('ingest'));
    prom = await startPrometheus(dir, opts.prometheusBin);
    process.stderr.write(`ingesting ${opts.hosts} hosts × ${opts.hours} h...\n`);
    const ing = await ingest(vigil.url, prom.url, opts.hosts, opts.hours, endMs, vigil.proc.pid ?? 0);
    process.stderr.write(`ingested ${ing.samples.toLocaleString('en')} samples: Vigil ${(ing.vigilMs / 1000).toFixed(1)} s, Prometheus ${(ing.promMs / 1000).toFixed(1)} s\n`);
    // A clean stop flushes Vigil's heads; its metrics dir then holds what it keeps.
    await stopChild(vigil.proc, 60_000);
    const vigilBytes = dirBytes(join(dir, 'data', 'store', 'metrics'));
    const want = expectedBlocks(ing.minT, ing.maxT);
    process.stderr.write(`waiting for Prometheus to cut ${want} block(s)...\n`);
    await waitCompaction(prom, want);
    const promDisk = await prometheusDisk(prom);
    vigil = await startVigil(bin, dir, vigilConfig(dir, opts.chunkCache), prof('query'));
    const rss = (when: string) => {
      if (!opts.rss || !vigil?.proc.pid) return;
      const p = sampleProc(vigil.proc.pid);
      process.stderr.write(`vigil RSS ${when}: ${p.rssMb.toFixed(1)} MB (peak ${p.peakRssMb.toFixed(1)} MB)\n`);
    };
    rss('before the queries');

    const rows: QueryRow[] = [];
    for (const rangeH of ranges) {
      const start = endMs - rangeH * 3_600_000;
      for (const q of QUERIES) {
        // One untimed run each warms caches (and gives the answers compared).
        const v0 = await queryRange(vigil.url, q.expr, start, endMs);
        const p0 = await queryRange(prom.url, q.expr, start, endMs);
        const cmp: CompareResult = compareMatrix(v0.result, p0.result);
        const vt: number[] = [];
        const pt: number[] = [];
        for (let i = 0; i < runs; i++) {
          vt.push((await queryRange(vigil.url, q.expr, start, endMs)).ms);
          pt.push((await queryRange(prom.url, q.expr, start, endMs)).ms);
        }
        const row: QueryRow = {
          name: q.name,
          expr: q.expr,
          range_h: rangeH,
          common: q.common,
          vigil_ms: +median(vt).toFixed(1),
          prometheus_ms: +median(pt).toFixed(1),
          ratio: +(median(vt) / median(pt)).toFixed(2),
          series: cmp.series,
          points: cmp.points,
          equal: cmp.equal,
          max_rel_diff: cmp.maxRelDiff,
          ...(cmp.mismatch ? { mismatch: cmp.mismatch } : {}),
        };
        process.stderr.write(`${rangeH} h ${q.name}: Vigil ${row.vigil_ms} ms, Prometheus ${row.prometheus_ms} ms (${row.ratio}×) ${row.equal ? 'equal' : `DIFFERENT: ${row.mismatch}`}\n`);
        rows.push(row);
      }
    }
    rss('after the queries');
    return {
      bench: 'promql',
      prometheus_version: prometheusVersion(opts.prometheusBin),
      hosts: opts.hosts,
      series: ing.series,
      hours: opts.hours,
      samples: ing.samples,
      runs,
      ingest: {
        vigil_samples_per_s: Math.round(ing.samples / (ing.vigilMs / 1000)),
        prometheus_samples_per_s: Math.round(ing.samples / (ing.promMs / 1000)),
        vigil_samples_per_cpu_s: Math.round(ing.samples / Math.max(0.01, ing.cpu)),
        requests: ing.requests,
      },
      disk: {
        vigil_bytes: vigilBytes,
        vigil_bytes_per_sample: +(vigilBytes / ing.samples).toFixed(3),
        prometheus: promDisk,
        prometheus_bytes_per_sample: +(promDisk.total / ing.samples).toFixed(3),
        prometheus_snapshot_bytes_per_sample: +(promDisk.snapshot / ing.samples).toFixed(3),
      },
      queries: rows,
      load_before: load,
    };
  } finally {
    if (vigil) await stopChild(vigil.proc);
    if (prom) await stopChild(prom.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en');
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** The result as a markdown section: ingest and disk, then one row per query and range. */
export function renderPromqlBench(r: PromqlBenchResult): string {
  const d = r.disk;
  const p = d.prometheus;
  return [
    `### PromQL range queries: Vigil vs ${r.prometheus_version.replace(/^prometheus, version /, 'Prometheus ')} (${fmt(r.hosts)} hosts, ${fmt(r.series)} series, ${r.hours} h at 15 s, ${fmt(r.samples)} samples)`,
    '',
    '| measure | Vigil | Prometheus | Vigil vs Prometheus |',
    '|---|---|---|---|',
    `| remote write ingest, samples/s (${fmt(r.ingest.requests)} requests of 5 min of every series) | ${fmt(r.ingest.vigil_samples_per_s)} (${fmt(r.ingest.vigil_samples_per_cpu_s)} per CPU-s) | ${fmt(r.ingest.prometheus_samples_per_s)} | ${(r.ingest.vigil_samples_per_s / r.ingest.prometheus_samples_per_s).toFixed(2)}× |`,
    `| disk bytes per sample | ${d.vigil_bytes_per_sample} (${mb(d.vigil_bytes)}, metrics dir after a clean stop) | ${d.prometheus_bytes_per_sample} (${mb(p.total)}: ${p.blockCount} blocks ${mb(p.blocks)}, head chunks ${mb(p.chunksHead)}, WAL ${mb(p.wal)}); all as blocks (snapshot): ${d.prometheus_snapshot_bytes_per_sample} | ${(d.prometheus_bytes_per_sample / d.vigil_bytes_per_sample).toFixed(2)}× smaller than the live TSDB, ${(d.prometheus_snapshot_bytes_per_sample / d.vigil_bytes_per_sample).toFixed(2)}× vs its blocks |`,
    '',
    `Query latency: median of ${r.runs} runs over HTTP (request to last byte), \`query_range\` with step 60 s ending now; the answers are compared series by series (values within 1e-9 relative).`,
    '',
    '| query | range | Vigil | Prometheus | Vigil / Prometheus (target <= 1.0) | series × points | same answer |',
    '|---|---|---|---|---|---|---|',
    ...r.queries.map((q) => `| \`${q.expr}\` | ${q.range_h} h | ${q.vigil_ms} ms | ${q.prometheus_ms} ms | ${q.ratio}${q.common ? (q.ratio <= 1 ? ' (met)' : ' (missed)') : ''} | ${fmt(q.series)} × ${fmt(Math.round(q.points / Math.max(1, q.series)))} | ${q.equal ? `yes (max rel. diff ${q.max_rel_diff.toExponential(1)})` : `**no**: ${q.mismatch ?? ''}`} |`),
    '',
    `Prometheus keeps the newest 2-3 h in its head (chunks_head + WAL) and compacts older data into 2 h blocks; the live size counts all of it, the snapshot writes the head as a block too. Load average before the run: ${r.load_before}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const val = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const bin = val('bin');
  const prof = val('prof');
  const promBin = val('prometheus');
  const ranges = val('ranges');
  const result = await runPromqlBench({
    hosts: Number(val('hosts') ?? 200),
    hours: Number(val('hours') ?? 7),
    runs: Number(val('runs') ?? 5),
    ...(ranges ? { rangesH: ranges.split(',').map(Number) } : {}),
    ...(bin ? { vigilBin: resolve(bin) } : {}),
    ...(promBin ? { prometheusBin: promBin } : {}),
    ...(prof ? { profDir: resolve(prof) } : {}),
    ...(process.argv.includes('--rss') ? { rss: true } : {}),
    ...(val('chunk-cache') !== undefined ? { chunkCache: val('chunk-cache') as string } : {}),
  });
  process.stderr.write(`\n${renderPromqlBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
