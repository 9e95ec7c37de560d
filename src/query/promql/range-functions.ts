/**
 * The `*_over_time`-style functions of a range vector, over samples [a, b) of a series' time
 * and value arrays: the engine passes a loaded series' arrays with its window bounds (no view
 * per series per step), or a view/filtered copy with a = 0, b = length. Called by functions.ts.
 */
import type { RangeWindow } from './engine.js';
import { avg } from './aggregations.js';
import { kahanSumInc, quantile, type Floats } from './values.js';

/** Value of one series' window; undefined when the function yields no sample for it. b > a. */
export type RangeFn = (t: Floats, v: Floats, a: number, b: number, w: RangeWindow, ts: number, extra: number[]) => number | undefined;

const sub = (v: Floats, a: number, b: number): Floats => (v instanceof Float64Array ? v.subarray(a, b) : v.slice(a, b));

function linearRegression(t: Floats, v: Floats, a: number, b: number, interceptTime: number): [number, number] {
  let n = 0; let sumX = 0; let cX = 0; let sumY = 0; let cY = 0; let sumXY = 0; let cXY = 0; let sumX2 = 0; let cX2 = 0;
  const initY = v[a] as number;
  let constY = true;
  for (let i = a; i < b; i++) {
    const y = v[i] as number;
    if (constY && i > a && y !== initY) constY = false;
    n++;
    const x = ((t[i] as number) - interceptTime) / 1000;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) return Number.isFinite(initY) || Number.isNaN(initY) ? [0, initY] : [NaN, NaN];
  sumX += cX; sumY += cY; sumXY += cXY; sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

/** rate/increase/delta over samples [a, b) of t/v (Prometheus's extrapolatedRate). */
export function extrapolatedRateAt(t: Floats, vs: Floats, a: number, b: number, w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  return extrapolatedRateInto(t, vs, a, b, w, isCounter, isRate, true) ? (RATE_OUT[0] as number) : undefined;
}

/** Where extrapolatedRateInto leaves its value. */
export const RATE_OUT = new Float64Array(1);

/**
 * extrapolatedRateAt without boxing its result: true with the value in RATE_OUT[0], false when
 * there is none. A double returned from a call that is not inlined is a heap allocation, and
 * rate() runs once per series per step (fastRange in functions.ts calls this directly).
 * `mayReset` false skips the counter-reset scan: the caller knows no value in the whole series
 * is below its predecessor, so the scan would add nothing (the result is bit-identical).
 */
export function extrapolatedRateInto(t: Floats, vs: Floats, a: number, b: number, w: RangeWindow, isCounter: boolean, isRate: boolean, mayReset: boolean): boolean {
  const n = b - a;
  if (n < 2) return false;
  const firstT = t[a] as number;
  const lastT = t[b - 1] as number;
  const firstV = vs[a] as number;
  let result = (vs[b - 1] as number) - firstV;
  if (isCounter && mayReset) {
    let last = 0;
    for (let i = a; i < b; i++) { const v = vs[i] as number; if (v < last) result += last; last = v; }
  }
  let toStart = (firstT - w.start) / 1000;
  let toEnd = (w.end - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const avgStep = sampled / (n - 1);
  const threshold = avgStep * 1.1;
  let interval = sampled;
  if (toStart >= threshold) toStart = avgStep / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const toZero = sampled * (firstV / result);
    if (toZero < toStart) toStart = toZero;
  }
  interval += toStart;
  if (toEnd >= threshold) toEnd = avgStep / 2;
  interval += toEnd;
  let factor = interval / sampled;
  if (isRate) factor /= w.rangeMs / 1000;
  RATE_OUT[0] = result * factor;
  return true;
}

function instantValue(t: Floats, vs: Floats, a: number, b: number, isRate: boolean): number | undefined {
  if (b - a < 2) return undefined;
  const last = vs[b - 1] as number;
  const prev = vs[b - 2] as number;
  let r = isRate && last < prev ? last : last - prev;
  const dt = (t[b - 1] as number) - (t[b - 2] as number);
  if (dt === 0) return undefined;
  if (isRate) r /= dt / 1000;
  return r;
}

function stdvarOverTime(vs: Floats, a: number, b: number): number {
  let count = 0; let mean = 0; let cMean = 0; let aux = 0; let cAux = 0;
  for (let i = a; i < b; i++) {
    const f = vs[i] as number;
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** Timestamp (s) of the last sample that wins `better` against the running extreme; NaN loses. */
function tsOfExtreme(t: Floats, vs: Floats, a: number, b: number, better: (v: number, m: number) => boolean): number {
  let m = vs[a] as number;
  let ts = t[a] as number;
  for (let i = a; i < b; i++) {
    const v = vs[i] as number;
    if (better(v, m) || Number.isNaN(m)) { m = v; ts = t[i] as number; }
  }
  return ts / 1000;
}

/** Every function taking one range vector (plus scalar `extra` arguments), by name. */
export const RANGE_FNS: Record<string, RangeFn> = {
  rate: (t, v, a, b, w) => extrapolatedRateAt(t, v, a, b, w, true, true),
  increase: (t, v, a, b, w) => extrapolatedRateAt(t, v, a, b, w, true, false),
  delta: (t, v, a, b, w) => extrapolatedRateAt(t, v, a, b, w, false, false),
  irate: (t, v, a, b) => instantValue(t, v, a, b, true),
  idelta: (t, v, a, b) => instantValue(t, v, a, b, false),
  deriv: (t, v, a, b) => (b - a < 2 ? undefined : linearRegression(t, v, a, b, t[a] as number)[0]),
  predict_linear: (t, v, a, b, _w, ts, [d]) => {
    if (b - a < 2) return undefined;
    const [slope, icpt] = linearRegression(t, v, a, b, ts);
    return slope * (d as number) + icpt;
  },
  resets: (_t, v, a, b) => { let r = 0; for (let i = a + 1; i < b; i++) if ((v[i] as number) < (v[i - 1] as number)) r++; return r; },
  changes: (_t, v, a, b) => {
    let r = 0;
    for (let i = a + 1; i < b; i++) {
      const x = v[i] as number; const y = v[i - 1] as number;
      if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) r++;
    }
    return r;
  },
  avg_over_time: (_t, v, a, b) => avg(v, a, b),
  sum_over_time: (_t, v, a, b) => { let sum = 0; let c = 0; for (let i = a; i < b; i++) [sum, c] = kahanSumInc(v[i] as number, sum, c); return sum + c; },
  count_over_time: (_t, _v, a, b) => b - a,
  last_over_time: (_t, v, _a, b) => v[b - 1],
  first_over_time: (_t, v, a) => v[a],
  present_over_time: () => 1,
  min_over_time: (_t, v, a, b) => {
    let m = v[a] as number;
    for (let i = a; i < b; i++) { const x = v[i] as number; if (m > x || Number.isNaN(m)) m = x; }
    return m;
  },
  max_over_time: (_t, v, a, b) => {
    let m = v[a] as number;
    for (let i = a; i < b; i++) { const x = v[i] as number; if (m < x || Number.isNaN(m)) m = x; }
    return m;
  },
  ts_of_min_over_time: (t, v, a, b) => tsOfExtreme(t, v, a, b, (x, m) => x <= m),
  ts_of_max_over_time: (t, v, a, b) => tsOfExtreme(t, v, a, b, (x, m) => x >= m),
  ts_of_last_over_time: (t, _v, _a, b) => (t[b - 1] as number) / 1000,
  stddev_over_time: (_t, v, a, b) => Math.sqrt(stdvarOverTime(v, a, b)),
  stdvar_over_time: (_t, v, a, b) => stdvarOverTime(v, a, b),
  quantile_over_time: (_t, v, a, b, _w, _ts, [q]) => quantile(q as number, sub(v, a, b)),
  mad_over_time: (_t, v, a, b) => {
    const vals = sub(v, a, b);
    const med = quantile(0.5, vals);
    return quantile(0.5, Array.from(vals, (x) => Math.abs(x - med)));
  },
  double_exponential_smoothing: (_t, v, a, b, _w, _ts, [sf, tf]) => {
    if (b - a < 2) return undefined;
    const sfn = sf as number; const tfn = tf as number;
    let s0 = 0; let s1 = v[a] as number; let trend = (v[a + 1] as number) - (v[a] as number);
    for (let i = a + 1; i < b; i++) {
      if (i > a + 1) trend = tfn * (s1 - s0) + (1 - tfn) * trend;
      s0 = s1;
      s1 = sfn * (v[i] as number) + (1 - sfn) * (s0 + trend);
    }
    return s1;
  },
};
