import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AggregateExpr } from './ast.js';
import { GroupIndex, streamAggregate } from './aggregate-stream.js';
import { avg } from './aggregations.js';
import { labelsKey, type Labels } from './labels.js';
import { parsePromQL } from './parser.js';
import { kahanSumInc, type Sample } from './values.js';

/** The list-based reduce (Prometheus's aggregation over one group's values). */
function reference(op: string, vals: number[]): number {
  switch (op) {
    case 'sum': { let s = 0; let c = 0; for (const v of vals) [s, c] = kahanSumInc(v, s, c); return s + c; }
    case 'avg': return avg(vals);
    case 'count': return vals.length;
    case 'group': return 1;
    case 'min': { let m = vals[0] as number; for (const v of vals) if (m > v || Number.isNaN(m)) m = v; return m; }
    case 'max': { let m = vals[0] as number; for (const v of vals) if (m < v || Number.isNaN(m)) m = v; return m; }
    default: {
      let n = 0; let mean = 0; let m2 = 0;
      for (const v of vals) { n++; const d = v - mean; mean += d / n; m2 += d * (v - mean); }
      return op === 'stddev' ? Math.sqrt(m2 / n) : m2 / n;
    }
  }
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('streamAggregate', () => {
  const series: Labels[] = [];
  for (const mode of ['user', 'system', 'idle']) for (const inst of ['a', 'b', 'c', 'd']) series.push({ __name__: 'cpu', mode, instance: inst });
  const specials = [NaN, Infinity, -Infinity, 1.7e308, -1.7e308, 1e-300, 0, -0, 3.25, 1e16, 1];

  for (const op of ['sum', 'avg', 'count', 'group', 'min', 'max', 'stddev', 'stdvar']) {
    it(`${op}: same groups, order and values as reducing value lists, over changing steps`, () => {
      const e = parsePromQL(`${op} by (mode) (cpu)`) as AggregateExpr;
      const idx = new GroupIndex(e);
      let seed = 11;
      const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
      for (let step = 0; step < 40; step++) {
        // Series drop out and reorder between steps; some steps take special values.
        const vec: Sample[] = [];
        for (const m of series) {
          if (rnd() < 0.2) continue;
          const v = rnd() < 0.3 ? (specials[Math.floor(rnd() * specials.length)] as number) : (rnd() - 0.3) * 1000;
          vec.push({ metric: m, v, dropName: step % 2 === 0 });
        }
        if (step % 5 === 3) vec.reverse();
        const got = streamAggregate(idx, e, vec);
        const groups = new Map<string, { metric: Labels; vals: number[] }>();
        for (const s of vec) {
          const k = s.metric.mode ?? '';
          let g = groups.get(k);
          if (!g) { g = { metric: { mode: k }, vals: [] }; groups.set(k, g); }
          g.vals.push(s.v);
        }
        assert.deepEqual(got.map((s) => labelsKey(s.metric)), [...groups.values()].map((g) => labelsKey(g.metric)), `step ${step}`);
        [...groups.values()].forEach((g, i) => {
          const want = reference(op, g.vals);
          const have = (got[i] as Sample).v;
          assert.ok(same(have, want), `step ${step} group ${g.metric.mode}: ${have} != ${want} over ${g.vals.join(',')}`);
        });
      }
    });
  }

  it('without() drops __name__ from the group; by (__name__) keeps it unless the input drops it', () => {
    const w = parsePromQL('sum without (instance) (cpu)') as AggregateExpr;
    const out = streamAggregate(new GroupIndex(w), w, series.map((m) => ({ metric: m, v: 1, dropName: false })));
    assert.deepEqual(out.map((s) => [s.metric, s.v]), [[{ mode: 'user' }, 4], [{ mode: 'system' }, 4], [{ mode: 'idle' }, 4]]);
    const b = parsePromQL('count by (__name__) (cpu)') as AggregateExpr;
    const idx = new GroupIndex(b);
    assert.deepEqual(streamAggregate(idx, b, series.map((m) => ({ metric: m, v: 1, dropName: false }))).map((s) => s.metric), [{ __name__: 'cpu' }]);
    assert.deepEqual(streamAggregate(idx, b, series.map((m) => ({ metric: m, v: 1, dropName: true }))).map((s) => s.metric), [{}]);
  });

  it('grows past its initial capacity', () => {
    const e = parsePromQL('max by (i) (x)') as AggregateExpr;
    const vec: Sample[] = Array.from({ length: 100 }, (_, i) => ({ metric: { i: String(i) }, v: i, dropName: false }));
    const out = streamAggregate(new GroupIndex(e), e, vec);
    assert.equal(out.length, 100);
    assert.deepEqual(out.map((s) => s.v), vec.map((s) => s.v));
  });
});
