import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLogStoreConfig } from './config.js';
import { collect, openStore, rows, SEC, T0, tempDir } from './testdata/helpers.js';

const DAY = 86_400 * SEC;
const segFiles = (dir: string) => readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.seg')).length;
const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} ${'z'.repeat(30)}`);

test('retention by age deletes whole chunks and their segment files, per tenant', async (t) => {
  const dir = tempDir(t);
  let now = T0 + 10 * DAY;
  const store = await openStore(dir, { config: { retention_period: '48h' }, now: () => now });
  t.after(() => store.stop());
  await store.append('fake', { streams: [{ labels: { app: 'x' }, ts: [T0, T0 + 1], lines: ['ancient 1', 'ancient 2'] }] });
  await store.append('other', { streams: [{ labels: { app: 'x' }, ts: [T0], lines: ['ancient other'] }] });
  await store.flush();
  await store.append('fake', { streams: [{ labels: { app: 'x' }, ts: [now - DAY], lines: ['recent'] }] });
  await store.flush();
  assert.equal(segFiles(dir), 3);
  const r = await store.runRetention();
  assert.equal(r.chunksDeleted, 2);
  assert.equal(r.segmentsDeleted, 2);
  assert.equal(segFiles(dir), 1);
  assert.deepEqual(rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'x' }] })).map((x) => x[2]), ['recent']);
  assert.equal(rows(await collect(store, { tenant: 'other', matchers: [{ name: 'app', op: '=', value: 'x' }] })).length, 0);
  now += 2 * DAY;
  assert.equal((await store.runRetention()).chunksDeleted, 1);
  assert.equal(segFiles(dir), 0);
});

test('retention by size drops the oldest segments of the tenant over its limit only', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { config: { retention_size: 1 } });
  t.after(() => store.stop());
  for (let day = 0; day < 3; day++) {
    const l = lines(200, `day${day}`);
    await store.append('fake', { streams: [{ labels: { app: 'x' }, ts: l.map((_, i) => T0 + day * DAY + i), lines: l }] });
    await store.flush();
  }
  const l = lines(200, 'other');
  await store.append('small', { streams: [{ labels: { app: 'x' }, ts: l.map((_, i) => T0 + i), lines: l }] });
  await store.flush();
  const per = store.stats().chunkBytes / 4;
  await store.reload({ ...defaultLogStoreConfig({ retention_size: Math.floor(per * 1.5), reject_old_samples_max_age: '0s', creation_grace_period: '1000w' }) });
  const r = await store.runRetention();
  assert.equal(r.segmentsDeleted, 2, 'two oldest of tenant fake');
  const kept = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'x' }] }));
  assert.equal(kept.length, 200);
  assert.ok(kept.every((x) => x[2].startsWith('day2')));
  assert.equal(rows(await collect(store, { tenant: 'small', matchers: [{ name: 'app', op: '=', value: 'x' }] })).length, 200, 'tenant under its limit untouched');
});

test('compaction merges small chunks of a stream and preserves every entry in order', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { config: { chunk_target_size: 100_000 } });
  t.after(() => store.stop());
  const expected: string[] = [];
  for (let i = 0; i < 6; i++) {
    // overlapping, out-of-order chunks: each round covers the same time span
    const l = lines(20, `round${i}`);
    await store.append('fake', { streams: [{ labels: { app: 'c' }, ts: l.map((_, j) => T0 + j * 10 + i), lines: l }, { labels: { app: 'd' }, ts: [T0 + i], lines: [`d${i}`] }] });
    await store.flush();
  }
  const before = rows(await collect(store, { matchers: [{ name: 'app', op: '=~', value: 'c|d' }] }));
  expected.push(...before.map((r) => `${r[0]} ${r[1]} ${r[2]}`));
  assert.equal(store.stats().chunks, 12);
  const r = await store.compact();
  assert.equal(r.chunksBefore, 12);
  assert.equal(r.chunksAfter, 2);
  assert.equal(store.stats().chunks, 2);
  assert.equal(segFiles(dir), 1, 'replaced segments deleted');
  const after = rows(await collect(store, { matchers: [{ name: 'app', op: '=~', value: 'c|d' }] }));
  assert.deepEqual(after.map((x) => `${x[0]} ${x[1]} ${x[2]}`), expected);
  await store.stop();
  const again = await openStore(dir);
  t.after(() => again.stop());
  assert.equal(rows(await collect(again, { matchers: [{ name: 'app', op: '=~', value: 'c|d' }] })).length, 126);
});

test('a query planned before compaction still reads the replaced chunks (files outlive their rows)', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { fileDeleteGraceMs: 60_000 });
  t.after(() => store.stop());
  for (let i = 0; i < 3; i++) {
    await store.append('fake', { streams: [{ labels: { app: 'g' }, ts: [T0 + i], lines: [`entry ${i}`] }] });
    await store.flush();
  }
  const it = store.select({ tenant: 'fake', matchers: [{ name: 'app', op: '=', value: 'g' }], start: 0, end: T0 + 10, direction: 'forward', order: 'time' });
  await store.compact();
  assert.equal(store.stats().chunks, 1);
  assert.equal(segFiles(dir), 4, 'old files kept during the grace period');
  const got: string[] = [];
  for await (const b of it) got.push(...b.lines);
  assert.deepEqual(got, ['entry 0', 'entry 1', 'entry 2']);
  await store.stop();
  assert.equal(segFiles(dir), 1, 'deleted at stop at the latest');
});

test('compaction never merges chunks spanning more than twice max_chunk_age (short queries stay cheap)', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { config: { chunk_target_size: 1_000_000, max_chunk_age: '1h' } });
  t.after(() => store.stop());
  const HOUR = 3600 * SEC;
  // A quiet stream: one small chunk per hour for 8 hours.
  for (let h = 0; h < 8; h++) {
    await store.append('fake', { streams: [{ labels: { app: 'quiet' }, ts: [T0 + h * HOUR, T0 + h * HOUR + 1], lines: [`h${h} a`, `h${h} b`] }] });
    await store.flush();
  }
  const r = await store.compact();
  assert.equal(r.chunksBefore, 8);
  assert.equal(r.chunksAfter, 4, 'groups spanning at most 2 h: [0,1] [2,3] [4,5] [6,7]');
  assert.equal(rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'quiet' }] })).length, 16);
});
