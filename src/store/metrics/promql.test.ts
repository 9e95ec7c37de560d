import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, PromQLEngine, STALE_NAN } from '../../query/promql/index.js';
import { T0, openStore, tempDir } from './testdata/helpers.js';

test('PromQL over the store gives exactly what it gives over MemoryStorage', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { chunk_max_samples: 120 });
  t.after(() => store.stop());
  const mem = new MemoryStorage();
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const batch: Array<{ labels: Record<string, string>; t: number[]; v: Float64Array }> = [];
  for (const instance of ['a:9100', 'b:9100']) {
    for (const mode of ['idle', 'user', 'system']) {
      for (const cpu of ['0', '1']) {
        const labels = { __name__: 'node_cpu_seconds_total', instance, job: 'node', mode, cpu };
        const ts: number[] = [];
        // values go through a Float64Array: V8 canonicalizes NaNs stored in a number[], which would
        // turn the staleness marker into a plain NaN
        const vs = new Float64Array(600);
        let nv = 0;
        let c = rnd() * 1000;
        for (let i = 0; i < 600; i++) {
          // a counter reset and a scrape gap with a staleness marker, as real targets produce
          if (i === 300) c = 0;
          c += Math.round(rnd() * 1500) / 100;
          const tt = T0 + i * 15_000 + Math.floor(rnd() * 20);
          const v = i === 450 && cpu === '1' ? STALE_NAN : c;
          if (i > 450 && i < 470 && cpu === '1') continue;
          ts.push(tt);
          vs[nv++] = v;
          mem.append(labels, tt, v);
        }
        batch.push({ labels, t: ts, v: vs.slice(0, nv) });
      }
    }
  }
  // in three appends, with a flush between, so results span chunks on disk, pending chunks and heads
  for (const part of [[0, 200], [200, 400], [400, 600]] as const) {
    const r = await store.append('fake', batch.map((s) => {
      const idx = s.t.map((_, i) => i).filter((i) => (s.t[i] as number) >= T0 + part[0] * 15_000 && (s.t[i] as number) < T0 + part[1] * 15_000);
      return { labels: s.labels, t: idx.map((i) => s.t[i] as number), v: s.v.subarray(idx[0] ?? 0, (idx[0] ?? 0) + idx.length) }; // t ascending: idx is contiguous
    }));
    assert.deepEqual(r.rejected, []);
    if (part[0] === 0) await store.flush(true);
  }
  assert.ok(store.stats().chunks > 0 && store.stats().headSamples > 0);
  const a = new PromQLEngine(store.querier('fake'));
  const b = new PromQLEngine(mem);
  const queries = [
    'rate(node_cpu_seconds_total[5m])',
    'sum by (mode) (rate(node_cpu_seconds_total{mode=~"user|system"}[1m]))',
    'sum by (instance) (increase(node_cpu_seconds_total[10m]))',
    'node_cpu_seconds_total{cpu="1"}',
    'count(node_cpu_seconds_total) by (instance)',
    'resets(node_cpu_seconds_total[1h])',
  ];
  let nonEmpty = 0;
  for (const q of queries) {
    const ra = await a.rangeQuery(q, T0, T0 + 600 * 15_000, 30_000);
    const rb = await b.rangeQuery(q, T0, T0 + 600 * 15_000, 30_000);
    assert.deepEqual(ra.series, rb.series, q);
    if (ra.series.length > 0) nonEmpty++;
    const ia = await a.instantQuery(q, T0 + 460 * 15_000);
    const ib = await b.instantQuery(q, T0 + 460 * 15_000);
    assert.deepEqual(ia.value, ib.value, q);
  }
  assert.equal(nonEmpty, queries.length);
});
