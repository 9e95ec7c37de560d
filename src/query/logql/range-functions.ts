/**
 * The functions of unwrapped and log range aggregations over one window of samples
 * (`vs[lo..hi)`, times in `ts`), computed term for term as Loki does so results match bit for bit.
 */
import type { RangeAggregationExpr } from './ast.js';

export type RangeFn = (vs: number[], lo: number, hi: number, rangeSeconds: number, param: number, ts: number[]) => number;

const sum: RangeFn = (vs, lo, hi) => {
  let s = 0;
  for (let i = lo; i < hi; i++) s += vs[i] as number;
  return s;
};

const variance = (vs: number[], lo: number, hi: number): number => {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i] as number;
    count++;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  return m2 / count;
};

/** Prometheus' quantile: linear interpolation between the closest ranks. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(sorted.length - 1, lower + 1);
  const w = rank - lower;
  return (sorted[lower] as number) * (1 - w) + (sorted[upper] as number) * w;
}

export const RANGE_FUNCS: Record<Exclude<RangeAggregationExpr['op'], 'absent_over_time'>, RangeFn> = {
  count_over_time: (_vs, lo, hi) => hi - lo,
  rate: (vs, lo, hi, r) => sum(vs, lo, hi, r, 0, []) / r,
  bytes_over_time: sum,
  bytes_rate: (vs, lo, hi, r) => sum(vs, lo, hi, r, 0, []) / r,
  sum_over_time: sum,
  avg_over_time: (vs, lo, hi) => {
    // Loki's incremental mean, term for term, so results match to the last bit.
    let mean = 0;
    let n = 0;
    for (let i = lo; i < hi; i++) {
      const v = vs[i] as number;
      n++;
      if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
        if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
        if (Number.isFinite(v)) continue;
      }
      mean += v / n - mean / n;
    }
    return mean;
  },
  max_over_time: (vs, lo, hi) => {
    let m = vs[lo] as number;
    for (let i = lo + 1; i < hi; i++) if ((vs[i] as number) > m || Number.isNaN(m)) m = vs[i] as number;
    return m;
  },
  min_over_time: (vs, lo, hi) => {
    let m = vs[lo] as number;
    for (let i = lo + 1; i < hi; i++) if ((vs[i] as number) < m || Number.isNaN(m)) m = vs[i] as number;
    return m;
  },
  first_over_time: (vs, lo) => vs[lo] as number,
  last_over_time: (vs, _lo, hi) => vs[hi - 1] as number,
  stddev_over_time: (vs, lo, hi) => Math.sqrt(variance(vs, lo, hi)),
  stdvar_over_time: (vs, lo, hi) => variance(vs, lo, hi),
  quantile_over_time: (vs, lo, hi, _r, q) => quantile(q, vs.slice(lo, hi)),
  rate_counter: (vs, lo, hi, r, _q, ts) => extrapolatedCounterRate(vs, ts, lo, hi, r),
};

/** Prometheus' extrapolated rate for counters (resets handled), as Loki's rate_counter uses it. */
function extrapolatedCounterRate(vs: number[], ts: number[], lo: number, hi: number, rangeSeconds: number): number {
  if (hi - lo < 2) return 0;
  let result = (vs[hi - 1] as number) - (vs[lo] as number);
  let prev = vs[lo] as number;
  for (let i = lo + 1; i < hi; i++) {
    const v = vs[i] as number;
    if (v < prev) result += prev;
    prev = v;
  }
  const windowEnd = ts[hi - 1] as number; // approximations of the window edges by the samples
  const windowStart = windowEnd - rangeSeconds * 1e6;
  const durToStart = ((ts[lo] as number) - windowStart) / 1e6;
  const durToEnd = 0;
  const sampled = ((ts[hi - 1] as number) - (ts[lo] as number)) / 1e6;
  const avgInterval = sampled / (hi - lo - 1);
  let extrapolateTo = sampled;
  const threshold = avgInterval * 1.1;
  extrapolateTo += durToStart < threshold ? durToStart : avgInterval / 2;
  extrapolateTo += durToEnd < threshold ? durToEnd : avgInterval / 2;
  if (result > 0 && (vs[lo] as number) >= 0) {
    const durToZero = sampled * ((vs[lo] as number) / result);
    if (durToZero < durToStart) extrapolateTo = sampled + durToZero;
  }
  return (result * (extrapolateTo / sampled)) / rangeSeconds;
}

