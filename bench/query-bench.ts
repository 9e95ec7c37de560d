/**
 * LogQL query bench, side by side with same-run baselines on the same corpus:
 *   Vigil: the embedded store + LogQL engine (what /loki/api/v1/query_range runs);
 *   SQLite rows: the same entries as rows in SQLite (index on stream, ts) — the obvious embedded alternative;
 *   grep: `grep -F` over the raw text (brute force, one core) for the needle.
 * Usage: node --import tsx bench/query-bench.ts [--lines 3200000]   (3.2 M lines ≈ 500 MB raw)
 * Prints one JSON line with every figure and ratio (bench/run.ts renders BENCHMARKS.md from it).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { batchBytes, type LogBatch } from '../src/core/events.js';
import { LogQLEngine } from '../src/query/logql/index.js';
import { defaultLogStoreConfig, LogStore } from '../src/store/logs/index.js';
import { generateCorpus, NEEDLE, NEEDLE_COUNT } from './corpus.js';

const args = process.argv.slice(2);
const at = args.indexOf('--lines');
const LINES = at >= 0 ? Number(args[at + 1]) : 3_200_000;
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

async function median<T>(runs: number, fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  await fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, result };
}

const corpus = () => generateCorpus({ lines: LINES, start: START, end: END });
const work = mkdtempSync(join(tmpdir(), 'vigil-query-bench-'));
const log = (s: string) => process.stderr.write(`${s}\n`);

// Corpus generation alone, timed so it can be subtracted from the ingest figure.
let genS = performance.now();
for (const b of corpus()) void b;
genS = (performance.now() - genS) / 1000;

// Vigil
log(`ingesting ${LINES.toLocaleString('en')} lines into the Vigil store...`);
const store = await LogStore.open({
  dir: join(work, 'vigil'),
  config: defaultLogStoreConfig({ reject_old_samples_max_age: '0s', retention_period: '0s' }),
  logger: pino({ level: 'warn' }),
  now: () => END,
});
let raw = 0;
let t0 = performance.now();
const src = corpus();
await Promise.all(
  [0, 1, 2, 3].map(async () => {
    for (;;) {
      const next = src.next();
      if (next.done) return;
      raw += batchBytes(next.value as LogBatch);
      await store.append('fake', next.value as LogBatch);
    }
  }),
);
await store.whenWritten();
const vigilIngestS = Math.max(0.001, (performance.now() - t0) / 1000 - genS);
await store.flush();
await store.compact();
const vigilDisk = dirBytes(join(work, 'vigil'));

// Baselines: SQLite rows and a raw text file (for grep), fed from the same generator.
log('loading the same corpus into SQLite rows and a raw file...');
const db = new Database(join(work, 'rows.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE logs (ts INTEGER, service TEXT, host TEXT, level TEXT, line TEXT); CREATE INDEX logs_stream_ts ON logs (service, host, level, ts);');
const insert = db.prepare('INSERT INTO logs VALUES (?, ?, ?, ?, ?)');
const insertBatch = db.transaction((b: LogBatch) => {
  for (const s of b.streams) for (let i = 0; i < s.lines.length; i++) insert.run(s.ts[i], s.labels.service, s.labels.host, s.labels.level, s.lines[i]);
});
const rawFile = join(work, 'raw.log');
const out = createWriteStream(rawFile);
let sqliteS = 0;
for (const b of corpus()) {
  const t = performance.now();
  insertBatch(b);
  sqliteS += (performance.now() - t) / 1000;
  const parts: string[] = [];
  for (const s of b.streams) for (const l of s.lines) parts.push(l);
  if (!out.write(`${parts.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise<void>((r) => out.end(() => r()));
db.pragma('wal_checkpoint(TRUNCATE)');
const sqliteDisk = statSync(join(work, 'rows.db')).size;

log('querying...');
const engine = new LogQLEngine(store, { maxEntriesLimit: 5000 });
const q = (query: string, start: number, end: number, limit = 100, step?: number) =>
  engine.query({ tenant: 'fake', query, start, end, limit, direction: 'backward', kind: 'range', ...(step ? { step } : {}) });

const newest = await median(21, async () => {
  const r = await q('{service="api", host="host-a", level="info"}', END - HOUR, END + 1);
  return (r.result as Array<{ values: unknown[] }>).reduce((n, s) => n + s.values.length, 0);
});
const newestSql = await median(21, () => db.prepare("SELECT ts, line FROM logs WHERE service='api' AND host='host-a' AND level='info' AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT 100").all(END - HOUR, END).length);

const needle = await median(7, async () => {
  const r = await q(`{service=~".+"} |= "${NEEDLE}"`, START, END + 1);
  return (r.result as Array<{ values: unknown[] }>).reduce((n, s) => n + s.values.length, 0);
});
if (needle.result !== NEEDLE_COUNT) throw new Error(`needle: ${needle.result} hits, expected ${NEEDLE_COUNT}`);
const needleGrep = await median(3, () => execFileSync('grep', ['-cF', NEEDLE, rawFile]).toString().trim());
const needleSql = await median(3, () => db.prepare('SELECT count(*) AS n FROM logs WHERE instr(line, ?) > 0').get(NEEDLE));

const hist = await median(11, async () => {
  const r = await q('sum by (level) (count_over_time({service="api"}[1m]))', END - 6 * HOUR, END, 100, 60 * 1e6);
  return (r.result as unknown[]).length;
});
const histSql = await median(5, () =>
  db.prepare("SELECT level, ts / 60000000 AS m, count(*) FROM logs WHERE service='api' AND ts > ? AND ts <= ? GROUP BY level, m").all(END - 6 * HOUR, END).length,
);

await store.stop();
db.close();
const grepMBs = raw / 1e6 / (needleGrep.ms / 1000);
rmSync(work, { recursive: true, force: true });

const result = {
  bench: 'query',
  lines: LINES,
  raw_mb: Math.round(raw / 1e6),
  ingest: { vigil_lines_per_s: Math.round(LINES / vigilIngestS), sqlite_rows_lines_per_s: Math.round(LINES / sqliteS), ratio: +(sqliteS / vigilIngestS).toFixed(2) },
  disk_per_raw: { vigil: +(vigilDisk / raw).toFixed(3), sqlite_rows: +(sqliteDisk / raw).toFixed(3) },
  newest_100_1h_ms: { vigil: +newest.ms.toFixed(2), sqlite_rows: +newestSql.ms.toFixed(2), entries: newest.result },
  needle_24h_ms: { vigil: +needle.ms.toFixed(1), grep: +needleGrep.ms.toFixed(1), sqlite_rows: +needleSql.ms.toFixed(1), grep_mb_per_s: Math.round(grepMBs) },
  level_histogram_6h_ms: { vigil: +hist.ms.toFixed(1), sqlite_rows: +histSql.ms.toFixed(1), series: hist.result },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
