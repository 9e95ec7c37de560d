import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { STALE_NAN, isStaleNaN } from '../../query/promql/storage.js';
import { MetricsStoreConfigSchema, defaultMetricsStoreConfig, resolveMetricsStoreConfig } from './config.js';
import { T0, bits, openStore, tempDir } from './testdata/helpers.js';

const cpu = (mode: string) => ({ __name__: 'node_cpu_seconds_total', cpu: '0', mode });

function samples(n: number, from = 0, f: (i: number) => number = (i) => i * 0.25) {
  const t: number[] = [];
  // a Float64Array: V8 canonicalizes NaNs stored in a number[], losing the StaleNaN payload
  const v = new Float64Array(n);
  for (let i = from; i < from + n; i++) {
    t.push(T0 + i * 15_000);
    v[i - from] = f(i);
  }
  return { t, v };
}

test('append and select across chunks, pending chunks and head, then after restart', async (t) => {
  const dir = tempDir(t);
  let store = await openStore(dir);
  const vals = (i: number) => (i === 300 ? STALE_NAN : i === 301 ? -0 : i * 0.25);
  for (let b = 0; b < 5; b++) {
    const s = samples(100, b * 100, vals);
    const r = await store.append('fake', [{ labels: cpu('idle'), ...s }, { labels: cpu('user'), t: s.t, v: s.v.map((x) => (Number.isNaN(x) ? x : x * 2)) }]);
    assert.deepEqual(r, { accepted: 200, rejected: [] });
    if (b === 2) await store.flush();
  }
  const st = store.stats();
  assert.equal(st.series, 2);
  assert.ok(st.chunks >= 4 && st.pendingChunks >= 2 && st.headSamples > 0, JSON.stringify(st));
  const check = async () => {
    const all = await store.querier('fake').select([{ name: '__name__', op: '=', value: 'node_cpu_seconds_total' }], T0, T0 + 10_000_000);
    assert.deepEqual(all.map((s) => s.labels.mode), ['idle', 'user']);
    const idle = all[0];
    assert.ok(idle);
    const exp = samples(500, 0, vals);
    assert.deepEqual(Array.from(idle.t), exp.t);
    assert.deepEqual(bits(idle.v), bits(exp.v));
    assert.ok(isStaleNaN(idle.v[300] as number) && Object.is(idle.v[301], -0), 'StaleNaN and -0 kept bit-exactly');
    const part = await store.querier('fake').select([{ name: 'mode', op: '=~', value: 'id.*' }], T0 + 15_000 * 110, T0 + 15_000 * 130);
    assert.equal(part.length, 1);
    assert.deepEqual(Array.from(part[0]?.t ?? []), samples(21, 110).t);
    assert.deepEqual(await store.querier('other').select([], 0, Infinity), []);
    assert.deepEqual(await store.labelNames('fake', T0, T0 + 1e9), ['__name__', 'cpu', 'mode']);
    assert.deepEqual(await store.labelValues('fake', 'mode', T0, T0 + 1e9), ['idle', 'user']);
    assert.deepEqual(await store.labelValues('fake', 'mode', T0 + 1e12, T0 + 2e12), []);
    assert.deepEqual(await store.series('fake', [[{ name: 'mode', op: '!=', value: 'idle' }]], T0, T0 + 1e9), [cpu('user')]);
  };
  await check();
  // a crash: reopen without stop, the heads come back from the WAL
  const crashed = store;
  store = await openStore(dir);
  await check();
  void crashed;
  await store.stop();
  await store.stop();
  store = await openStore(dir);
  t.after(() => store.stop());
  assert.equal(store.stats().headSamples, 0, 'stop flushed every head');
  await check();
});

test('ordering rules: out of order, duplicates, out_of_order_window', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.stop());
  const l = cpu('idle');
  assert.equal((await store.append('fake', [{ labels: l, t: [T0, T0 + 10], v: [1, 2] }])).accepted, 2);
  const r = await store.append('fake', [{ labels: l, t: [T0 + 10, T0 + 10, T0 + 5, T0 + 20], v: [2, 3, 9, 4] }]);
  assert.deepEqual(r, {
    accepted: 2,
    rejected: [
      { series: 0, count: 1, reason: 'duplicate sample for timestamp' },
      { series: 0, count: 1, reason: 'out of order sample' },
    ],
  });
  const bad = await store.append('fake', [{ labels: { job: 'x' }, t: [T0], v: [1] }, { labels: { __name__: 'm', 'bad-name': 'x' }, t: [T0], v: [1] }, { labels: { __name__: 'm' }, t: [T0 + 0.5], v: [1] }]);
  assert.equal(bad.accepted, 0);
  assert.deepEqual(bad.rejected.map((x) => x.reason.split(' ')[0]), ['missing', 'invalid', 'invalid']);
  const got = await store.querier('fake').select([{ name: 'mode', op: '=', value: 'idle' }], 0, Infinity);
  assert.deepEqual(Array.from(got[0]?.t ?? []), [T0, T0 + 10, T0 + 20]);
  assert.deepEqual(Array.from(got[0]?.v ?? []), [1, 2, 4]);

  const dir2 = tempDir(t);
  const w = await openStore(dir2, { out_of_order_window: '1m' });
  t.after(() => w.stop());
  await w.append('fake', [{ labels: l, t: [T0 + 60_000, T0 + 30_000, T0 - 1], v: [1, 2, 3] }]);
  const got2 = await w.querier('fake').select([], 0, Infinity);
  assert.deepEqual(Array.from(got2[0]?.t ?? []), [T0 + 30_000, T0 + 60_000]);
});

test('a torn WAL tail is counted and skipped; everything acknowledged before it survives', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.append('fake', [{ labels: cpu('idle'), ...samples(50) }]);
  const walDir = join(dir, 'wal');
  const last = readdirSync(walDir).sort().at(-1) as string;
  appendFileSync(join(walDir, last), Buffer.from([0x56, 0x47, 0x57, 0x4c, 200, 0, 0, 0, 1, 2, 3, 4, 5]));
  const re = await openStore(dir);
  t.after(() => re.stop());
  assert.equal(re.stats().corruptions, 1);
  const got = await re.querier('fake').select([], 0, Infinity);
  assert.deepEqual(Array.from(got[0]?.t ?? []), samples(50).t);
  assert.equal((await re.append('fake', [{ labels: cpu('idle'), ...samples(10, 50) }])).accepted, 10);
});

test('retention deletes whole old segments and forgets empty series; size retention too', async (t) => {
  const dir = tempDir(t);
  let nowMs = T0 + 3_600_000;
  const store = await openStore(dir, { retention_period: '1d' }, () => nowMs);
  t.after(() => store.stop());
  await store.append('fake', [{ labels: cpu('old'), ...samples(200) }]);
  await store.flush(true);
  await store.append('fake', [{ labels: cpu('new'), ...samples(200, 10_000) }]);
  await store.flush(true);
  assert.equal(store.applyRetention(), 0);
  nowMs = T0 + 15_000 * 210 + 86_400_000 + 1;
  assert.equal(store.applyRetention(), 1);
  const got = await store.querier('fake').select([], 0, Infinity);
  assert.deepEqual(got.map((s) => s.labels.mode), ['new']);
  assert.equal(store.stats().series, 1);
  assert.deepEqual(await store.labelValues('fake', 'mode', 0, Infinity), ['new']);

  const dir2 = tempDir(t);
  const sized = await openStore(dir2, { retention_size: 1, retention_period: '0s' });
  t.after(() => sized.stop());
  await sized.append('fake', [{ labels: cpu('a'), ...samples(300) }]);
  await sized.flush(true);
  assert.ok(sized.applyRetention() >= 1);
  assert.equal(sized.stats().chunks, 0);
});

test('config schema: strict, described, defaults valid', () => {
  const def = defaultMetricsStoreConfig();
  assert.ok(Value.Check(MetricsStoreConfigSchema, def));
  assert.ok(!Value.Check(MetricsStoreConfigSchema, { ...def, nope: 1 }));
  for (const [k, p] of Object.entries(MetricsStoreConfigSchema.properties)) assert.ok((p as { description?: string }).description, k);
  assert.equal(def.retention_period, '15d');
  assert.throws(() => resolveMetricsStoreConfig({ retention_period: '15 days', chunk_max_samples: 1 }), (e: Error) =>
    /retention_period: not a duration/.test(e.message) && /chunk_max_samples/.test(e.message));
  assert.equal(resolveMetricsStoreConfig({}).retentionMs, 15 * 86_400_000);
});

test('a corrupt chunk is counted and skipped; the rest of the series still answers', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.append('fake', [{ labels: cpu('idle'), ...samples(240) }]);
  await store.stop();
  const seg = join(dir, 'chunks', readdirSync(join(dir, 'chunks'))[0] as string);
  const buf = readFileSync(seg);
  buf[20] = (buf[20] as number) ^ 0xff; // inside the first chunk
  writeFileSync(seg, buf);
  const re = await openStore(dir);
  t.after(() => re.stop());
  const got = await re.querier('fake').select([], 0, Infinity);
  assert.deepEqual(Array.from(got[0]?.t ?? []), samples(120, 120).t);
  assert.equal(re.stats().corruptions, 1);
});
