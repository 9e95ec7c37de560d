import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { collect, memoryLogger, openStore, rows, SEC, T0, tempDir } from './testdata/helpers.js';

const SVC = { service: 'svc' };

async function metricValue(reg: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = reg.getSingleMetric(name);
  if (!m) return 0;
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

/** Appends three records (A, B, C) and returns the WAL file and each record's start offset. */
async function threeRecords(dir: string): Promise<{ file: string; starts: number[] }> {
  const store = await openStore(dir);
  const starts: number[] = [];
  for (const name of ['A', 'B', 'C']) {
    const walDir = join(dir, 'wal');
    const f = readdirSync(walDir).sort().at(-1) as string;
    starts.push(statSync(join(walDir, f)).size);
    await store.append('fake', { streams: [{ labels: SVC, ts: [T0 + starts.length * SEC, T0 + starts.length * SEC + 1], lines: [`${name}1 payload`, `${name}2 payload`] }] });
  }
  // The store is abandoned without stop(), as after a crash: its entries live only in the WAL.
  await store.abandon();
  const walDir = join(dir, 'wal');
  return { file: join(walDir, readdirSync(walDir).sort().at(-1) as string), starts };
}

async function reopen(dir: string) {
  const reg = new Registry();
  const { logger, records } = memoryLogger();
  const store = await openStore(dir, { registry: reg, logger });
  const lines = rows(await collect(store, { matchers: [{ name: 'service', op: '=', value: 'svc' }] })).map((r) => r[2]);
  return { store, reg, records, lines };
}

test('a torn WAL tail is truncated, reported with its offset and counted; the rest is kept', async (t) => {
  const dir = tempDir(t);
  const { file, starts } = await threeRecords(dir);
  const size = statSync(file).size;
  truncateSync(file, size - 7);
  const a = await reopen(dir);
  assert.deepEqual(a.lines, ['A1 payload', 'A2 payload', 'B1 payload', 'B2 payload']);
  assert.equal(await metricValue(a.reg, 'vigil_store_corruptions_total', { kind: 'wal_torn_tail' }), 1);
  const warn = a.records.find((r) => String(r.msg).includes('torn'));
  assert.equal(warn?.offset, starts[2]);
  assert.equal(statSync(file).size, starts[2], 'torn bytes truncated');
  await a.store.append('fake', { streams: [{ labels: SVC, ts: [T0 + 10 * SEC], lines: ['D1 after repair'] }] });
  await a.store.stop();
  const b = await reopen(dir);
  t.after(() => b.store.stop());
  assert.deepEqual(b.lines.at(-1), 'D1 after repair');
  assert.equal(b.lines.length, 5);
  assert.equal(await metricValue(b.reg, 'vigil_store_corruptions_total', { kind: 'wal_torn_tail' }), 0, 'repaired once, not again');
});

test('a corrupt WAL record in the middle is skipped, counted, and later records are kept', async (t) => {
  const dir = tempDir(t);
  const { file, starts } = await threeRecords(dir);
  const bytes = readFileSync(file);
  bytes[(starts[1] as number) + 20] = (bytes[(starts[1] as number) + 20] as number) ^ 0xff; // inside B's payload: checksum mismatch
  writeFileSync(file, bytes);
  const a = await reopen(dir);
  t.after(() => a.store.stop());
  assert.deepEqual(a.lines, ['A1 payload', 'A2 payload', 'C1 payload', 'C2 payload']);
  assert.equal(await metricValue(a.reg, 'vigil_store_corruptions_total', { kind: 'wal_bad_record' }), 1);
  const warn = a.records.find((r) => String(r.msg).includes('corrupt record'));
  assert.equal(warn?.offset, starts[1]);
});

test('a garbled record length resyncs on the next valid record', async (t) => {
  const dir = tempDir(t);
  const { file, starts } = await threeRecords(dir);
  const bytes = readFileSync(file);
  bytes.writeUInt32LE(0x7fffffff, (starts[1] as number) + 4);
  writeFileSync(file, bytes);
  const a = await reopen(dir);
  t.after(() => a.store.stop());
  assert.deepEqual(a.lines, ['A1 payload', 'A2 payload', 'C1 payload', 'C2 payload']);
});

test('a corrupt chunk is reported, counted and skipped; other chunks still answer', async (t) => {
  const dir = tempDir(t);
  const reg = new Registry();
  const { logger, records } = memoryLogger();
  const store = await openStore(dir, { registry: reg, logger });
  t.after(() => store.stop());
  await store.append('fake', {
    streams: [
      { labels: { service: 'a' }, ts: [T0, T0 + 1], lines: ['alpha one', 'alpha two'] },
      { labels: { service: 'b' }, ts: [T0, T0 + 1], lines: ['beta one', 'beta two'] },
    ],
  });
  await store.flush();
  const segDir = join(dir, 'chunks');
  const seg = join(segDir, readdirSync(segDir).find((f) => f.endsWith('.seg')) as string);
  const bytes = readFileSync(seg);
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x55; // the lines block of the last chunk written (stream b)
  writeFileSync(seg, bytes);
  const all = rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: 'a|b' }] }));
  assert.deepEqual(all.map((r) => r[2]), ['alpha one', 'alpha two']);
  assert.equal(store.stats().corruptChunks, 1);
  assert.equal(await metricValue(reg, 'vigil_store_corruptions_total', { kind: 'chunk' }), 1);
  assert.ok(records.some((r) => r.msg === 'log store: corrupt chunk skipped' && r.stream === '{service="b"}'));
  // timestamps are checksummed on their own, so a timestamp-only scan still counts stream b
  const counted = rows(await collect(store, { matchers: [{ name: 'service', op: '=', value: 'b' }], skipLines: true }));
  assert.equal(counted.length, 2);
});
