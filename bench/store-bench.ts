/**
 * Log store bench: `node --import tsx bench/store-bench.ts [--lines N] [--keep]`.
 * Ingests the seeded corpus (spread over 24 h) and measures ingest rate, disk/raw, newest 100 lines
 * of one stream in the last hour, a rare needle over 24 h and a timestamp-only scan of one
 * service over 6 h (the basis of `sum by (level) (count_over_time({service="x"}[1m]))`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { batchBytes, batchSize, type LogBatch } from '../src/core/events.js';
import { defaultLogStoreConfig, LogStore } from '../src/store/logs/index.js';
import { generateCorpus, NEEDLE, NEEDLE_COUNT } from './corpus.js';

const args = process.argv.slice(2);
const linesArg = args.indexOf('--lines');
const LINES = linesArg >= 0 ? Number(args[linesArg + 1]) : 1_000_000;
const HOUR = 3_600_000_000;
const END = Date.UTC(2026, 0, 2) * 1000;
const START = END - 24 * HOUR;

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/** CPU seconds of the main thread alone (Linux /proc; 0 elsewhere): load-independent ingest cost. */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(runs: number, fn: () => Promise<number>): Promise<{ ms: number; result: number }> {
  const times: number[] = [];
  let result = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-store-bench-'));
const store = await LogStore.open({
  dir,
  config: defaultLogStoreConfig({ reject_old_samples_max_age: '0s', retention_period: '0s', chunk_idle_period: '1000h', max_chunk_age: '1000h' }),
  logger: pino({ level: 'warn' }),
  now: () => END,
});

// The corpus is generated on the fly during ingest (a pre-generated 1M-line corpus kept in the
// heap makes every major GC mark it, which no real ingest pays); generation time is measured
// alone first and subtracted.
process.stdout.write(`generating ${LINES} lines... `);
const corpus = () => generateCorpus({ lines: LINES, start: START, end: END });
let raw = 0;
let expected = 0;
const g0 = performance.now();
const gc0 = mainThreadCpu();
const gp0 = process.cpuUsage();
for (const b of corpus()) {
  raw += batchBytes(b);
  expected += batchSize(b);
}
const genS = (performance.now() - g0) / 1000;
const genCpu = mainThreadCpu() - gc0;
const gpu = process.cpuUsage(gp0);
const genProcessCpu = (gpu.user + gpu.system) / 1e6;
process.stdout.write(`${(raw / 1e6).toFixed(0)} MB raw in ${genS.toFixed(2)} s\n`);

// Ingest: 4 appenders in flight (group commit), until every acknowledged batch is in memory and
// every cut chunk written. Heads stay in memory, as in a running store.
// A full GC on demand, to tell live memory (heads, caches) from garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// Twice, a task apart: some native frees (zlib handles, buffers) run only after the first.
const fullGc = async (): Promise<void> => {
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
};
const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
await fullGc();
const heapBefore = used();
const t0 = performance.now();
const c0 = mainThreadCpu();
const p0 = process.cpuUsage();
const source = corpus();
let accepted = 0;
await Promise.all(
  [0, 1, 2, 3].map(async () => {
    for (;;) {
      const next = source.next();
      if (next.done) return;
      const r = await store.append('fake', next.value as LogBatch);
      accepted += r.accepted;
    }
  }),
);
await store.whenWritten();
const totalS = (performance.now() - t0) / 1000;
const mainCpu = Math.max(0.001, mainThreadCpu() - c0 - genCpu);
const pu = process.cpuUsage(p0);
const processCpu = Math.max(0.001, (pu.user + pu.system) / 1e6 - genProcessCpu);
const ingestS = Math.max(0.001, totalS - genS);
const memAfter = used();
await fullGc();
const liveAfter = used();
if (accepted !== expected) throw new Error(`accepted ${accepted} of ${expected}`);
await store.flush();
await store.compact();
const disk = dirBytes(dir);

const newest = await timeIt(11, async () => {
  let n = 0;
  for await (const b of store.select({
    tenant: 'fake', matchers: [{ name: 'service', op: '=', value: 'api' }, { name: 'host', op: '=', value: 'host-a' }, { name: 'level', op: '=', value: 'info' }],
    start: END - HOUR, end: END + 1, direction: 'backward', order: 'time',
  })) {
    n += b.ts.length;
    if (n >= 100) break;
  }
  return Math.min(n, 100);
});

const needle = await timeIt(5, async () => {
  let n = 0;
  for await (const b of store.select({
    tenant: 'fake', matchers: [{ name: 'service', op: '=~', value: '.+' }], start: START, end: END + 1, direction: 'backward', order: 'time',
    lineFilters: [{ op: '|=', value: NEEDLE }],
  }))
    n += b.ts.length;
  return n;
});
if (needle.result !== NEEDLE_COUNT) throw new Error(`needle found ${needle.result} times, expected ${NEEDLE_COUNT}`);

const regex = await timeIt(5, async () => {
  let n = 0;
  for await (const b of store.select({
    tenant: 'fake', matchers: [{ name: 'service', op: '=~', value: '.+' }], start: END - HOUR, end: END + 1, direction: 'backward', order: 'time',
    lineFilters: [{ op: '|~', value: 'timed? out|refused' }],
  }))
    n += b.ts.length;
  return n;
});

const scan = await timeIt(7, async () => {
  const buckets = new Map<string, number>();
  let n = 0;
  for await (const b of store.select({
    tenant: 'fake', matchers: [{ name: 'service', op: '=', value: 'api' }], start: END - 6 * HOUR, end: END, direction: 'forward', order: 'stream', skipLines: true,
  })) {
    const level = b.labels.level as string;
    for (const t of b.ts) {
      const k = `${level}:${Math.floor(t / 60_000_000)}`;
      buckets.set(k, (buckets.get(k) ?? 0) + 1);
    }
    n += b.ts.length;
  }
  return n;
});

const stats = store.stats();
await store.stop();
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });

const rows: Array<[string, string, string, boolean]> = [
  ['ingest lines/s (net of corpus generation)', `${Math.round(LINES / ingestS).toLocaleString('en')}`, '>= 300k', LINES / ingestS >= 300_000],
  ['ingest lines per main-thread CPU-second', `${Math.round(LINES / mainCpu).toLocaleString('en')}`, '>= 300k', LINES / mainCpu >= 300_000],
  ['ingest lines per process CPU-second (zlib, GC, fsync threads too)', `${Math.round(LINES / processCpu).toLocaleString('en')}`, '', true],
  ['disk / raw', (disk / raw).toFixed(3), '<= 0.3', disk / raw <= 0.3],
  ['heap + buffers after ingest (delta, incl. garbage)', `${((memAfter - heapBefore) / 1e6).toFixed(0)} MB`, '', true],
  ['live heap + buffers after ingest (delta after a full GC: heads etc.)', `${((liveAfter - heapBefore) / 1e6).toFixed(0)} MB`, '', true],
  ['newest 100 of one stream, 1 h', `${newest.ms.toFixed(2)} ms`, '<= 10 ms', newest.ms <= 10],
  [`needle over 24 h (${needle.result} hits)`, `${needle.ms.toFixed(1)} ms`, '<= 300 ms', needle.ms <= 300],
  [`regex over all streams, 1 h (${regex.result} hits; worker pool)`, `${regex.ms.toFixed(1)} ms`, '', true],
  [`timestamp scan, 1 service, 6 h (${scan.result} entries)`, `${scan.ms.toFixed(1)} ms`, '<= 50 ms', scan.ms <= 50],
];
console.log(`\n${LINES.toLocaleString('en')} lines, ${(raw / 1e6).toFixed(0)} MB raw, ${stats.chunks} chunks, ${stats.streams} streams`);
console.log(`${'measure'.padEnd(66)} ${'value'.padStart(14)}  ${'target'.padEnd(10)} ok`);
for (const [name, value, target, ok] of rows) console.log(`${name.padEnd(66)} ${value.padStart(14)}  ${target.padEnd(10)} ${target ? (ok ? 'yes' : 'NO') : ''}`);
console.log(`chunks read ${stats.chunksRead}, skipped by bloom ${stats.chunksSkippedByBloom}, scanned in workers ${stats.chunksScannedInWorkers}`);
