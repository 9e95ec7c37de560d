import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { collect, openStore, SEC, T0, tempDir } from './testdata/helpers.js';

const APP = { app: 'api' };
const ALL = [{ name: 'app', op: '=' as const, value: 'api' }];

async function dupMetric(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('vigil_store_duplicate_entries_total')?.get();
  return m?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

async function linesOf(store: Awaited<ReturnType<typeof openStore>>): Promise<string[]> {
  return (await collect(store, { matchers: ALL })).flatMap((b) => b.lines);
}

test('a retried append (same ts, line and fields) is stored once and counted', async (t) => {
  const registry = new Registry();
  const dir = tempDir(t);
  const store = await openStore(dir, { registry });
  t.after(() => store.stop());
  const batch = { streams: [{ labels: APP, ts: [T0, T0 + SEC, T0 + SEC], lines: ['a', 'b', 'b2'], fields: [undefined, { trace: '1' }, undefined] }] };
  assert.equal((await store.append('fake', batch)).accepted, 3);
  // the retry is acknowledged in full (the entries are durable) but not stored again
  assert.deepEqual(await store.append('fake', batch), { accepted: 3, rejected: [] });
  assert.deepEqual(await linesOf(store), ['a', 'b', 'b2']);
  assert.equal(await dupMetric(registry), 3);
  // not duplicates: other fields, other line, other ts; a mixed batch keeps only what is new
  const r = await store.append('fake', {
    streams: [{ labels: APP, ts: [T0 + SEC, T0 + SEC, T0 + 2 * SEC, T0], lines: ['b', 'b', 'b', 'a'], fields: [{ trace: '2' }, undefined, { trace: '1' }, undefined] }],
  });
  assert.equal(r.accepted, 4);
  assert.equal(await dupMetric(registry), 4);
  assert.deepEqual(await linesOf(store), ['a', 'b', 'b2', 'b', 'b', 'b']);
  // the WAL holds no duplicate either: a restart replays each entry once
  await store.abandon();
  const again = await openStore(dir);
  t.after(() => again.stop());
  assert.deepEqual(await linesOf(again), ['a', 'b', 'b2', 'b', 'b', 'b']);
});

test('duplicates are found across head pages, empty lines and out-of-order heads', async (t) => {
  const registry = new Registry();
  const store = await openStore(tempDir(t), { registry });
  t.after(() => store.stop());
  // Lines of mixed sizes (some over a small page), empty ones, equal timestamps: many pages.
  const n = 60;
  const ts = Array.from({ length: n }, (_, i) => T0 + Math.floor(i / 3) * SEC);
  const lines = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? '' : `${i}:${'x'.repeat((i * 997) % 5000)}`));
  await store.append('fake', { streams: [{ labels: APP, ts, lines }] });
  await store.append('fake', { streams: [{ labels: APP, ts: [T0 - 5 * SEC, T0 + 7.5 * SEC], lines: ['early', 'middle'] }] }); // head now out of order
  const before = await linesOf(store);
  assert.equal(before.length, n + 2);
  // Retry everything, in another order: every entry is found (by ts map, then by walking pages).
  const r = await store.append('fake', {
    streams: [{ labels: APP, ts: [...ts].reverse().concat([T0 + 7.5 * SEC, T0 - 5 * SEC]), lines: [...lines].reverse().concat(['middle', 'early']) }],
  });
  assert.equal(r.accepted, n + 2);
  assert.equal(await dupMetric(registry), n + 2);
  assert.deepEqual(await linesOf(store), before);
  // once the head is cut into a chunk, the same entry is new to the (fresh) head, as in Loki
  await store.flush();
  await store.append('fake', { streams: [{ labels: APP, ts: [T0 - 5 * SEC], lines: ['early'] }] });
  assert.equal((await linesOf(store)).filter((l) => l === 'early').length, 2);
});
