import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from './memory-storage.js';
import { PromQLEngine } from './engine.js';
import { RANGE_FNS, RATE_OUT, extrapolatedRateInto } from './range-functions.js';

describe('RANGE_FNS over [a, b) of whole arrays', () => {
  // A counter with a reset, a NaN and repeated values, one sample every 15 s.
  const v = [5, 7, 7, 10, 2, 4, NaN, 8, 8, 1e3, -3, 0.5];
  const t = v.map((_, i) => 1_000_000 + i * 15_000);
  const tf = Float64Array.from(t);
  const vf = Float64Array.from(v);
  const extra: Record<string, number[]> = { predict_linear: [60], quantile_over_time: [0.9], double_exponential_smoothing: [0.5, 0.3] };

  for (const [name, fn] of Object.entries(RANGE_FNS)) {
    it(`${name}: a window inside the arrays equals the same window as its own arrays`, () => {
      for (let a = 0; a < v.length; a++) {
        for (let b = a + 1; b <= v.length; b++) {
          const w = { start: (t[a] as number) - 7_000, end: (t[b - 1] as number) + 3_000, rangeMs: 60_000 };
          const ts = w.end;
          const x = extra[name] ?? [];
          const whole = fn(tf, vf, a, b, w, ts, x);
          const own = fn(t.slice(a, b), v.slice(a, b), 0, b - a, w, ts, x);
          assert.ok(Object.is(whole, own) || (Number.isNaN(whole) && Number.isNaN(own)), `[${a}, ${b}): ${whole} != ${own}`);
        }
      }
    });
  }

  it('computes known values', () => {
    const w = { start: 0, end: 0, rangeMs: 0 };
    assert.equal(RANGE_FNS.max_over_time?.(tf, vf, 0, 6, w, 0, []), 10);
    assert.equal(RANGE_FNS.min_over_time?.(tf, vf, 2, 6, w, 0, []), 2);
    assert.equal(RANGE_FNS.resets?.(tf, vf, 0, v.length, w, 0, []), 2);
    assert.equal(RANGE_FNS.changes?.(tf, vf, 0, 4, w, 0, []), 2);
    assert.equal(RANGE_FNS.count_over_time?.(tf, vf, 3, 9, w, 0, []), 6);
    assert.equal(RANGE_FNS.irate?.(tf, vf, 0, 5, w, 0, []), 2 / 15);
    assert.equal(RANGE_FNS.idelta?.(tf, vf, 0, 4, w, 0, []), 3);
    assert.equal(RANGE_FNS.sum_over_time?.(tf, vf, 0, 3, w, 0, []), 19);
    assert.equal(RANGE_FNS.irate?.(tf, vf, 0, 1, w, 0, []), undefined);
  });
});

describe('rate skipping the counter-reset scan', () => {
  it('gives the same bits as the scan when the series never decreases, and the engine scans when it does', async () => {
    const t = Array.from({ length: 40 }, (_, i) => 1_000_000 + i * 15_000 + (i % 3));
    const up = Float64Array.from(t, (_, i) => -50 + i * 1.37 + (i % 4) * 0.01);
    const w = { start: 1_000_000 + 60_000, end: 1_000_000 + 300_000, rangeMs: 240_000 };
    for (let a = 0; a < 30; a++) {
      for (const isRate of [true, false]) {
        assert.ok(extrapolatedRateInto(t, up, a, a + 8, w, true, isRate, true));
        const scanned = RATE_OUT[0] as number;
        assert.ok(extrapolatedRateInto(t, up, a, a + 8, w, true, isRate, false));
        assert.ok(Object.is(RATE_OUT[0], scanned));
      }
    }
    // with a reset, the engine's fast path must still add the value before it
    const mem = new MemoryStorage();
    const vals = [10, 20, 30, 5, 15, 25];
    vals.forEach((v, i) => mem.append({ __name__: 'c_total' }, i * 15_000, v));
    const r = await new PromQLEngine(mem).instantQuery('increase(c_total[90s])', 75_000);
    assert.ok(r.value.kind === 'vector');
    const got = r.value.samples[0]?.v ?? NaN;
    // 20 of increase before the reset plus 25 after, extrapolated over the 90 s window (75 s sampled)
    assert.ok(Math.abs(got - 45 * (90 / 75)) < 1e-9, `increase ${got}`);
  });
});
