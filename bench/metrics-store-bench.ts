/**
 * Metrics store bench: `node --import tsx bench/metrics-store-bench.ts [--series N] [--hours H] [--jitter MS] [--keep]`.
 * Ingests node_exporter-like data (scraped every 15 s; timestamps exact, as Prometheus's scrape
 * timestamp alignment makes them, or with 0..MS-1 ms of jitter) and reports ingest
 * samples/s and bytes per sample: of the Gorilla chunks alone (what Prometheus quotes as its
 * 1.3-2 B/sample) and of everything on disk (chunks + SQLite catalog) after a final flush.
 * The series mix follows a real node_exporter's output: most series are constant or nearly so
 * (sizes, info metrics, flags), counters grow by integers (bytes, packets, operations) or by
 * centiseconds (node_cpu_seconds_total), gauges move in pages (memory) or by 0.01 (load).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MetricsStore } from '../src/store/metrics/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SERIES = arg('--series', 1000);
const HOURS = arg('--hours', 12);
const STEP = 15_000;
const SCRAPES = Math.floor((HOURS * 3_600_000) / STEP);
const JITTER = arg('--jitter', 0);
const PER_APPEND = 40; // scrapes per append: 10 minutes of data

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

type Kind = 'constant' | 'int_counter' | 'cpu_counter' | 'page_gauge' | 'load_gauge' | 'flag';
interface Gen {
  labels: Record<string, string>;
  kind: Kind;
  value: number;
  rate: number;
}

function kindFor(i: number): Kind {
  const r = (i * 7919) % 100;
  if (r < 35) return 'constant';
  if (r < 45) return 'flag';
  if (r < 70) return 'int_counter';
  if (r < 85) return 'cpu_counter';
  if (r < 95) return 'page_gauge';
  return 'load_gauge';
}

const gens: Gen[] = Array.from({ length: SERIES }, (_, i) => {
  const kind = kindFor(i);
  return {
    labels: { __name__: `node_${kind}_${i % 37}`, instance: `host-${i % 10}:9100`, job: 'node', device: `d${i}` },
    kind,
    value: kind === 'constant' ? Math.round(rnd() * 1e12) : kind === 'page_gauge' ? Math.round(rnd() * 1e6) * 4096 : kind === 'flag' ? 1 : rnd() * 1000,
    rate: rnd(),
  };
});

function step(g: Gen): number {
  switch (g.kind) {
    case 'constant':
    case 'flag':
      return g.value;
    case 'int_counter':
      g.value += rnd() < 0.3 ? 0 : Math.round(rnd() * g.rate * 5000);
      return g.value;
    case 'cpu_counter':
      g.value = Math.round((g.value + rnd() * 15 * g.rate) * 100) / 100;
      return g.value;
    case 'page_gauge':
      g.value += Math.round((rnd() - 0.5) * 64) * 4096;
      return g.value;
    case 'load_gauge':
      g.value = Math.max(0, Math.round((g.value / 1000 + (rnd() - 0.5) * 0.1) * 100) / 100) * 1000;
      return g.value / 1000;
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-metrics-bench-'));
const T0 = Date.UTC(2026, 0, 1);
const store = await MetricsStore.open({
  dir,
  config: { retention_period: '0s' },
  logger: pino({ level: 'warn' }),
  now: () => (T0 + HOURS * 3_600_000) * 1000,
});
const t0 = performance.now();
let total = 0;
for (let s = 0; s < SCRAPES; s += PER_APPEND) {
  const n = Math.min(PER_APPEND, SCRAPES - s);
  const batch = gens.map((g) => {
    const t = new Array<number>(n);
    const v = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      t[k] = T0 + (s + k) * STEP + (JITTER > 0 ? Math.floor(rnd() * JITTER) : 0);
      v[k] = step(g);
    }
    return { labels: g.labels, t, v };
  });
  const r = await store.append('fake', batch);
  if (r.rejected.length > 0) throw new Error(JSON.stringify(r.rejected[0]));
  total += r.accepted;
  if ((s / PER_APPEND) % 6 === 5) await store.flush();
}
const secs = (performance.now() - t0) / 1000;
await store.stop();
const reopened = await MetricsStore.open({ dir, config: {}, logger: pino({ level: 'warn' }) });
const st = reopened.stats();
// Read path after restart: every series over the whole range, and a dashboard-like range query.
const { PromQLEngine } = await import('../src/query/promql/index.js');
const q0 = performance.now();
const all = await reopened.querier('fake').select([{ name: 'job', op: '=', value: 'node' }], T0, T0 + HOURS * 3_600_000);
const selectAllMs = performance.now() - q0;
const readSamples = all.reduce((a, s) => a + s.t.length, 0);
if (readSamples !== total) throw new Error(`read back ${readSamples} of ${total} samples`);
const engine = new PromQLEngine(reopened.querier('fake'));
const q1 = performance.now();
await engine.rangeQuery('sum by (instance) (rate(node_cpu_counter_3[5m]))', T0 + (HOURS - 1) * 3_600_000, T0 + HOURS * 3_600_000, 15_000);
const rangeQueryMs = performance.now() - q1;
await reopened.stop();
const disk = dirBytes(dir);
const report = {
  series: SERIES,
  jitter_ms: JITTER,
  samples: total,
  ingest_samples_per_s: Math.round(total / secs),
  chunks: st.chunks,
  chunk_bytes_per_sample: +(st.chunkBytes / st.chunkSamples).toFixed(3),
  disk_bytes_per_sample: +(disk / total).toFixed(3),
  disk_bytes: disk,
  select_all_ms: Math.round(selectAllMs),
  range_query_1h_ms: Math.round(rangeQueryMs),
};
console.log(JSON.stringify(report, null, 2));
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
