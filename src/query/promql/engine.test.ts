import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromQLEngine } from './engine.js';
import { MemoryStorage } from './memory-storage.js';
import { STALE_NAN, isStaleNaN } from './storage.js';
import { PromQLError, type Sample, type Value } from './values.js';
import { labelsString } from './labels.js';

const M = 60_000;

function store(): MemoryStorage {
  const s = new MemoryStorage();
  for (let i = 0; i <= 10; i++) {
    s.append({ __name__: 'req_total', job: 'a', inst: '1' }, i * M, i * 10);
    s.append({ __name__: 'req_total', job: 'a', inst: '2' }, i * M, i * 20);
    s.append({ __name__: 'req_total', job: 'b', inst: '1' }, i * M, i * 30);
  }
  s.append({ __name__: 'info', job: 'a', version: 'v1' }, 0, 1);
  return s;
}

function vec(v: Value): Record<string, number> {
  assert.equal(v.kind, 'vector');
  const out: Record<string, number> = {};
  for (const s of (v as { samples: Sample[] }).samples) out[labelsString(s.metric)] = s.v;
  return out;
}

test('instant selector uses the latest sample within the 5m lookback', async () => {
  const e = new PromQLEngine(store());
  assert.deepEqual(vec((await e.instantQuery('req_total{job="b"}', 5 * M + 30_000)).value), { 'req_total{inst="1", job="b"}': 150 });
  assert.deepEqual(vec((await e.instantQuery('info', 4 * M)).value), { 'info{job="a", version="v1"}': 1 });
  // Lookback is left-open: a sample exactly 5m old is gone.
  assert.deepEqual(vec((await e.instantQuery('info', 5 * M)).value), {});
});

test('a stale marker ends the series immediately', async () => {
  const s = new MemoryStorage();
  s.append({ __name__: 'g' }, 0, 1);
  s.append({ __name__: 'g' }, M, STALE_NAN);
  const e = new PromQLEngine(s);
  assert.deepEqual(vec((await e.instantQuery('g', 30_000)).value), { 'g{}': 1 });
  assert.deepEqual(vec((await e.instantQuery('g', 2 * M)).value), {});
  assert.ok(isStaleNaN(STALE_NAN) && !isStaleNaN(NaN));
  const c = await e.instantQuery('count_over_time(g[10m])', 2 * M);
  assert.deepEqual(vec(c.value), { '{}': 1 });
});

test('rate extrapolates like Prometheus and drops the metric name', async () => {
  const e = new PromQLEngine(store());
  const r = vec((await e.instantQuery('rate(req_total{job="a"}[5m])', 10 * M)).value);
  assert.ok(Math.abs((r['{inst="1", job="a"}'] ?? 0) - 10 / 60) < 1e-9);
  assert.ok(Math.abs((r['{inst="2", job="a"}'] ?? 0) - 20 / 60) < 1e-9);
});

test('offset and @ shift the evaluation time', async () => {
  const e = new PromQLEngine(store());
  assert.deepEqual(vec((await e.instantQuery('req_total{job="b"} offset 2m', 10 * M)).value), { 'req_total{inst="1", job="b"}': 240 });
  assert.deepEqual(vec((await e.instantQuery('req_total{job="b"} @ 120', 10 * M)).value), { 'req_total{inst="1", job="b"}': 60 });
  const r = await e.rangeQuery('req_total{job="b"} @ end()', 0, 2 * M, M);
  assert.deepEqual(r.series[0]?.v, [60, 60, 60]);
});

test('subquery steps are aligned to absolute multiples of the step', async () => {
  const e = new PromQLEngine(store());
  const r = vec((await e.instantQuery('count_over_time(req_total{job="b"}[5m:2m])', 10 * M)).value);
  // Steps at 6m, 8m, 10m fall in (5m, 10m].
  assert.deepEqual(r, { '{inst="1", job="b"}': 3 });
});

test('aggregations group by / without and keep Prometheus semantics', async () => {
  const e = new PromQLEngine(store());
  assert.deepEqual(vec((await e.instantQuery('sum by (job) (req_total)', 10 * M)).value), { '{job="a"}': 300, '{job="b"}': 300 });
  assert.deepEqual(vec((await e.instantQuery('count without (inst) (req_total)', 10 * M)).value), { '{job="a"}': 2, '{job="b"}': 1 });
  assert.deepEqual(vec((await e.instantQuery('topk(1, req_total)', 10 * M)).value), { 'req_total{inst="1", job="b"}': 300 });
  assert.deepEqual(vec((await e.instantQuery('quantile(0.5, req_total)', 10 * M)).value), { '{}': 200 });
  assert.deepEqual(vec((await e.instantQuery('count_values("v", req_total)', M)).value), { '{v="10"}': 1, '{v="20"}': 1, '{v="30"}': 1 });
});

test('vector matching: group_left copies labels, duplicates fail with Prometheus messages', async () => {
  const e = new PromQLEngine(store());
  const r = vec((await e.instantQuery('req_total * on(job) group_left(version) info', 2 * M)).value);
  assert.deepEqual(r, { '{inst="1", job="a", version="v1"}': 20, '{inst="2", job="a", version="v1"}': 40 });
  await assert.rejects(e.instantQuery('req_total + on(job) req_total', 0), (err: unknown) => err instanceof PromQLError && /found duplicate series for the match group \{job="a"\} on the right hand-side/.test(err.message));
});

test('dropping names late rejects results whose label sets collide', async () => {
  const s = new MemoryStorage();
  s.append({ __name__: 'm1', job: 'a' }, 0, 1);
  s.append({ __name__: 'm2', job: 'a' }, 0, 2);
  const e = new PromQLEngine(s);
  await assert.rejects(e.instantQuery('ceil({__name__=~"m1|m2"})', 0), /^VigilError: vector cannot contain metrics with the same labelset$/);
  // label_replace may restore a distinct __name__ before the names are dropped.
  const r = await e.instantQuery('label_replace(ceil({__name__=~"m1|m2"}), "__name__", "x_$1", "__name__", "(.+)")', 0);
  assert.deepEqual(vec(r.value), { 'x_m1{job="a"}': 1, 'x_m2{job="a"}': 2 });
});

test('comparison filters keep the name; bool drops it', async () => {
  const e = new PromQLEngine(store());
  assert.deepEqual(vec((await e.instantQuery('req_total > 250', 10 * M)).value), { 'req_total{inst="1", job="b"}': 300 });
  assert.deepEqual(vec((await e.instantQuery('req_total{job="b"} > bool 250', 10 * M)).value), { '{inst="1", job="b"}': 1 });
  const s = await e.instantQuery('1 < bool 2', 0);
  assert.deepEqual(s.value, { kind: 'scalar', v: 1 });
});

test('range query returns series sorted by labels with one point per step', async () => {
  const e = new PromQLEngine(store());
  const r = await e.rangeQuery('sum by (job) (req_total)', 0, 2 * M, M);
  assert.deepEqual(r.series.map((s) => [labelsString(s.metric), s.t, s.v]), [
    ['{job="a"}', [0, M, 2 * M], [0, 30, 60]],
    ['{job="b"}', [0, M, 2 * M], [0, 30, 60]],
  ]);
  await assert.rejects(e.rangeQuery('req_total[5m]', 0, M, M), /invalid expression type "range vector" for range query/);
});

test('rate on a name without a counter suffix adds Prometheus info annotation', async () => {
  const s = new MemoryStorage();
  for (let i = 0; i < 5; i++) s.append({ __name__: 'bytes' }, i * M, i);
  const r = await new PromQLEngine(s).instantQuery('rate(bytes[5m])', 4 * M);
  assert.deepEqual(r.infos, ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "bytes"']);
});

test('histogram_quantile over classic buckets and absent()', async () => {
  const s = new MemoryStorage();
  for (const [le, c] of [['0.1', 10], ['0.5', 50], ['1', 90], ['+Inf', 100]] as const) s.append({ __name__: 'lat_bucket', le }, 0, c);
  const e = new PromQLEngine(s);
  const q = vec((await e.instantQuery('histogram_quantile(0.5, lat_bucket)', 0)).value);
  assert.ok(Math.abs((q['{}'] ?? 0) - 0.5) < 1e-9);
  assert.deepEqual(vec((await e.instantQuery('absent(nope{job="x"})', 0)).value), { '{job="x"}': 1 });
});

test('sample budget rejects oversized queries with Prometheus text instead of exhausting memory', async () => {
  const e = new PromQLEngine(store(), { maxSamples: 20 });
  await assert.rejects(e.instantQuery('req_total[10m]', 10 * M), /^VigilError: query processing would load too many samples into memory in query execution$/);
  await assert.rejects(e.instantQuery('max_over_time(vector(1)[1y:1ms])', 0), /too many samples/);
  const ok = await new PromQLEngine(store(), { maxSamples: 100 }).instantQuery('sum(req_total)', 10 * M);
  assert.deepEqual(vec(ok.value), { '{}': 600 });
});

test('invalid UTF-8 in a label name is rejected and printed the way Go quotes it', async () => {
  const e = new PromQLEngine(store());
  await assert.rejects(e.instantQuery('count_values("a\\xc5z", req_total)', 0), (err: unknown) => err instanceof PromQLError && err.message === 'invalid label name "a\\xc5z"');
  await assert.rejects(e.instantQuery('label_replace(req_total, "\\xff", "", "job", "(.*)")', 0), /invalid destination label name in label_replace\(\)/);
});

test('formatFloat prints like Go strconv.FormatFloat(f, \'f\', -1, 64)', async () => {
  const { formatFloat } = await import('./values.js');
  assert.equal(formatFloat(1e21), '1000000000000000000000');
  assert.equal(formatFloat(1.5e-7), '0.00000015');
  assert.equal(formatFloat(-2.5e22), '-25000000000000000000000');
  assert.equal(formatFloat(0.1), '0.1');
  assert.equal(formatFloat(-Infinity), '-Inf');
  assert.equal(formatFloat(NaN), 'NaN');
});

test('an aborted range query stops with QUERY_TIMEOUT instead of running to the end', async () => {
  const s = new MemoryStorage();
  for (let i = 0; i < 2000; i++) s.append({ __name__: 'x', i: String(i) }, 0, i);
  const ac = new AbortController();
  const e = new PromQLEngine(s, { lookbackDeltaMs: 1e12 });
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(e.rangeQuery('sum(x * 2)', 0, 1e9, 1000, { signal: ac.signal }), (err: unknown) => err instanceof PromQLError && err.code === 'QUERY_TIMEOUT');
});

test('range query: label sets equal after __name__ removal are rejected at the step they collide', async () => {
  const s = store();
  for (let i = 0; i <= 10; i++) s.append({ __name__: 'other_total', job: 'a', inst: '1' }, i * M, i);
  const e = new PromQLEngine(s);
  await assert.rejects(e.rangeQuery('rate({__name__=~"req_total|other_total", job="a", inst="1"}[5m])', 2 * M, 6 * M, M), /vector cannot contain metrics with the same labelset/);
  // Kept names keep them apart; a single series per label set is fine.
  const ok = await e.rangeQuery('last_over_time({__name__=~"req_total|other_total", job="a", inst="1"}[5m])', 2 * M, 6 * M, M);
  assert.equal(ok.series.length, 2);
});

test('range query: aggregation over a range function equals the same aggregation at each instant', async () => {
  const e = new PromQLEngine(store());
  for (const q of ['sum by (job) (rate(req_total[3m]))', 'avg(increase(req_total[5m]))', 'max without (inst) (max_over_time(req_total[2m]))', 'count by (__name__) (changes(req_total[4m]))', 'stddev(deriv(req_total[5m]))']) {
    const r = await e.rangeQuery(q, M, 10 * M, M);
    const fromInstants: Record<string, Record<number, number>> = {};
    for (let t = M; t <= 10 * M; t += M) {
      for (const [k, v] of Object.entries(vec((await e.instantQuery(q, t)).value))) (fromInstants[k] ??= {})[t] = v;
    }
    const fromRange: Record<string, Record<number, number>> = {};
    for (const rs of r.series) rs.t.forEach((t, i) => { (fromRange[labelsString(rs.metric)] ??= {})[t] = rs.v[i] as number; });
    assert.deepEqual(fromRange, fromInstants, q);
    assert.ok(r.series.length > 0, q);
  }
});
