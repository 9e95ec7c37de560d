import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PromQLEngine } from '../../query/promql/index.js';
import type { MetricsStore } from './metrics-store.js';
import { compareLabels } from './read.js';
import { T0, bits, openStore, tempDir } from './testdata/helpers.js';

const QUERIES = [
  'rate(node_cpu_seconds_total{mode!="idle"}[5m])',
  'sum by (instance) (rate(node_cpu_seconds_total{mode=~"user|system"}[5m]))',
  'avg by (mode) (rate(node_cpu_seconds_total[5m]))',
  'node_cpu_seconds_total{instance=~"h[02]"}',
  'count by (mode) ({__name__=~"node_cpu.*", instance!~"h1|h3"})',
  'max_over_time(node_load1[30m])',
];

/** 4 hosts × (4 cpu modes + load1), one sample every 15 s for `n` steps from step `from`. */
async function ingest(store: MetricsStore, from: number, n: number): Promise<void> {
  const batch: Array<{ labels: Record<string, string>; t: number[]; v: Float64Array }> = [];
  for (let h = 0; h < 4; h++) {
    const labels = [
      ...['idle', 'user', 'system', 'iowait'].map((mode) => ({ __name__: 'node_cpu_seconds_total', instance: `h${h}`, mode })),
      { __name__: 'node_load1', instance: `h${h}` },
    ];
    labels.forEach((l, k) => {
      const t: number[] = [];
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const step = from + i;
        t.push(T0 + step * 15_000 + ((h * 7 + k) % 5));
        v[i] = l.__name__ === 'node_load1' ? ((step * (h + 1) * 37) % 101) / 10 : step * (k + 1) * 0.25 + h;
      }
      batch.push({ labels: l, t, v });
    });
  }
  const r = await store.append('fake', batch);
  assert.deepEqual(r.rejected, []);
}

async function answers(store: MetricsStore): Promise<string> {
  const e = new PromQLEngine(store.querier('fake'));
  const out: unknown[] = [];
  for (const q of QUERIES) {
    const r = await e.rangeQuery(q, T0 + 30 * 60_000, T0 + 150 * 60_000, 60_000);
    assert.ok(r.series.length > 0, q);
    out.push(r.series.map((s) => ({ metric: s.metric, t: s.t, v: bits(s.v) })));
  }
  return JSON.stringify(out);
}

test('queries answer the same from chunks, cache, after a crash and after a restart', async (t) => {
  const dir = tempDir(t);
  let store = await openStore(dir, { chunk_max_samples: 120 });
  // 2.5 h of samples: committed chunks in several segments, pending chunks and heads
  await ingest(store, 0, 300);
  await store.flush(true);
  await ingest(store, 300, 200);
  await store.flush();
  await ingest(store, 500, 100);
  const st = store.stats();
  assert.ok(st.chunks > 0 && st.segments >= 2 && st.headSamples > 0, JSON.stringify(st));
  const before = await answers(store);
  const cached = store.stats().chunkCache;
  assert.ok(cached.entries > 0 && cached.misses > 0, JSON.stringify(cached));
  assert.equal(await answers(store), before, 'answers from the decoded-chunk cache');
  const again = store.stats().chunkCache;
  assert.equal(again.misses, cached.misses, 'the second run read no chunk from disk');
  assert.ok(again.hits > cached.hits);

  // kill -9: reopen without stopping; postings and chunk lists come back from the catalog, heads from the WAL
  const crashed = store;
  store = await openStore(dir, { chunk_max_samples: 120 });
  assert.equal(await answers(store), before, 'after a crash');
  assert.ok(store.stats().chunkIndexBytes > 0);
  void crashed;
  await store.stop();
  store = await openStore(dir, { chunk_max_samples: 120, chunk_cache_size: 0 });
  t.after(() => store.stop());
  assert.equal(await answers(store), before, 'after a clean restart, cache off');
  assert.equal(store.stats().chunkCache.entries, 0);
});

test('retention drops cached chunks: a reused segment id never serves deleted samples', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { retention_size: 1, retention_period: '0s' });
  t.after(() => store.stop());
  const labels = { __name__: 'g', instance: 'a' };
  const t0 = [T0, T0 + 15_000, T0 + 30_000];
  await store.append('fake', [{ labels, t: t0, v: new Float64Array([1, 2, 3]) }]);
  await store.flush(true);
  const first = await store.querier('fake').select([{ name: '__name__', op: '=', value: 'g' }], 0, Infinity);
  assert.deepEqual(Array.from(first[0]?.v ?? []), [1, 2, 3]);
  assert.equal(store.stats().chunkCache.entries, 1);
  assert.equal(store.applyRetention(), 1);
  assert.equal(store.stats().chunkCache.entries, 0);
  assert.deepEqual(await store.querier('fake').select([], 0, Infinity), []);
  // the series was forgotten; new samples at the same times land in a segment with the same id and offset
  await store.append('fake', [{ labels, t: t0, v: new Float64Array([7, 8, 9]) }]);
  await store.flush(true);
  const got = await store.querier('fake').select([{ name: 'instance', op: '=', value: 'a' }], 0, Infinity);
  assert.deepEqual(Array.from(got[0]?.v ?? []), [7, 8, 9]);
});

test('released select buffers are reused; results not released stay intact; the engine releases what it no longer holds', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { chunk_max_samples: 120 });
  t.after(() => store.stop());
  await ingest(store, 0, 400);
  await store.flush(true);
  const q = store.querier('fake');
  const all = [{ name: '__name__', op: '=' as const, value: 'node_cpu_seconds_total' }];
  const snapshot = (rows: Awaited<ReturnType<typeof q.select>>) => JSON.stringify(rows.map((r) => [r.labels, Array.from(r.t), bits(r.v)]));
  // ranges that cut chunks, so every series is copied into pooled buffers
  const kept = await q.select(all, T0 + 1_000_000, T0 + 5_000_000);
  const before = snapshot(kept);
  const other = await q.select(all, T0 + 2_000_000, T0 + 5_500_000);
  const otherSnap = snapshot(other);
  q.release?.(other);
  q.release?.(other); // twice: a no-op
  const reused = await q.select(all, T0 + 3_000_000, T0 + 5_900_000);
  assert.equal(snapshot(kept), before, 'an unreleased result is never overwritten');
  assert.notEqual(snapshot(other), otherSnap, 'the released buffers were reused');
  const fresh = await q.select(all, T0 + 3_000_000, T0 + 5_900_000);
  assert.equal(snapshot(reused), snapshot(fresh));

  let selects = 0;
  let releases = 0;
  const counting = {
    select: (...a: Parameters<typeof q.select>) => { selects++; return q.select(...a); },
    release: (d: Parameters<NonNullable<typeof q.release>>[0]) => { releases++; q.release?.(d); },
  };
  const e = new PromQLEngine(counting);
  await e.rangeQuery('node_load1 / on (instance) group_left sum by (instance) (rate(node_cpu_seconds_total[5m]))', T0 + 3_600_000, T0 + 5_000_000, 60_000);
  assert.deepEqual([selects, releases], [2, 2]);
  const vec = await e.instantQuery('node_load1', T0 + 5_000_000);
  assert.deepEqual([selects, releases], [3, 3]);
  const mat = await e.instantQuery('node_load1[10m]', T0 + 5_000_000);
  assert.deepEqual([selects, releases], [4, 3], 'a range vector answer is made of views: not released');
  assert.ok(vec.value.kind === 'vector' && vec.value.samples.length === 4);
  assert.ok(mat.value.kind === 'matrix' && mat.value.series.length === 4);
});

test('selects come back in compareLabels order, whatever the label values hold', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.stop());
  const sets: Array<Record<string, string>> = [
    { __name__: 'm', a: 'x' },
    { __name__: 'm', a: 'x', b: 'y' },
    { __name__: 'm', a: 'x\u0000' },
    { __name__: 'm', a: 'x\u0000', b: '' + 'z' },
    { __name__: 'm', ab: 'x' },
    { __name__: 'm', a: 'xy' },
    { __name__: 'm', a: 'w', c: '1' },
    { __name__: 'm', a: '\u00e9' },
    { __name__: 'm', a: 'Z' },
    { __name__: 'm2', a: 'x' },
  ];
  await store.append('fake', sets.map((labels) => ({ labels, t: [T0], v: new Float64Array([1]) })));
  const got = await store.querier('fake').select([{ name: '__name__', op: '=~', value: 'm.*' }], 0, Infinity);
  const want = [...sets].sort(compareLabels);
  assert.deepEqual(got.map((s) => s.labels), want);
});

test('chunks older than chunk_index_period come from the catalog: same answers, before and after the horizon moves', async (t) => {
  const all = await openStore(tempDir(t), { chunk_index_period: '0s' });
  t.after(() => all.stop());
  let nowMs = T0 + 100 * 60_000;
  const dir = tempDir(t);
  let store = await openStore(dir, { chunk_index_period: '1h' }, () => nowMs);
  for (const s of [all, store]) {
    await ingest(s, 0, 300);
    await s.flush(true);
    await ingest(s, 300, 200);
    await s.flush(true);
    await ingest(s, 500, 100);
  }
  const want = await answers(all);
  // the horizon (now - 1 h = T0 + 40 min) splits the queried range: both sources are used
  assert.equal(await answers(store), want, 'chunks committed after open');
  const full = all.stats().chunkIndexBytes;
  await store.stop();
  store = await openStore(dir, { chunk_index_period: '1h' }, () => nowMs);
  assert.equal(await answers(store), want, 'after a restart, old chunks only in the catalog');
  assert.ok(store.stats().chunkIndexBytes <= full, `${store.stats().chunkIndexBytes} <= ${full}`);
  nowMs += 60 * 60_000;
  store.trimChunkIndex();
  assert.equal(await answers(store), want, 'after the horizon moved past most chunks');
  nowMs += 24 * 60 * 60_000;
  store.trimChunkIndex();
  assert.equal(store.stats().chunkIndexBytes, 0);
  assert.equal(await answers(store), want, 'every chunk from the catalog');
  await store.stop();
});
