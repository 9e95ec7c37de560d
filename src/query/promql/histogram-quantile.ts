import type { Evaluator } from './engine.js';
import { labelsKey, type Labels } from './labels.js';
import { formatFloat, type Sample } from './values.js';

interface Bucket { upper: number; count: number }

function almostEqual(a: number, b: number, eps: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

/** Prometheus's BucketQuantile over classic buckets; also reports whether monotonicity was forced. */
export function bucketQuantile(q: number, input: Bucket[]): [number, boolean] {
  if (Number.isNaN(q)) return [NaN, false];
  if (q < 0) return [-Infinity, false];
  if (q > 1) return [Infinity, false];
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  const lastB = sorted[sorted.length - 1];
  if (!lastB || lastB.upper !== Infinity) return [NaN, false];
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const prev = buckets[buckets.length - 1];
    if (prev && prev.upper === b.upper) prev.count += b.count; else buckets.push({ ...b });
  }
  let forced = false;
  let prev = (buckets[0] as Bucket).count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) { b.count = prev; continue; }
    if (curr < prev) { b.count = prev; forced = true; continue; }
    prev = curr;
  }
  if (buckets.length < 2) return [NaN, forced];
  const observations = (buckets[buckets.length - 1] as Bucket).count;
  if (observations === 0) return [NaN, forced];
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && (buckets[b] as Bucket).count < rank) b++;
  if (b === buckets.length - 1) return [(buckets[buckets.length - 2] as Bucket).upper, forced];
  if (b === 0 && (buckets[0] as Bucket).upper <= 0) return [(buckets[0] as Bucket).upper, forced];
  let start = 0;
  const end = (buckets[b] as Bucket).upper;
  let count = (buckets[b] as Bucket).count;
  if (b > 0) {
    start = (buckets[b - 1] as Bucket).upper;
    count -= (buckets[b - 1] as Bucket).count;
    rank -= (buckets[b - 1] as Bucket).count;
  }
  return [start + (end - start) * (rank / count), forced];
}

/** Prometheus's BucketFraction: estimated share of observations in [lower, upper]. */
export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  const lastB = sorted[sorted.length - 1];
  if (!lastB || lastB.upper !== Infinity) return NaN;
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const prev = buckets[buckets.length - 1];
    if (prev && prev.upper === b.upper) prev.count += b.count; else buckets.push({ ...b });
  }
  const count = (buckets[buckets.length - 1] as Bucket).count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    let lowerBound = i > 0 ? (buckets[i - 1] as Bucket).upper : -Infinity;
    if (i === 0 && b.upper > 0) lowerBound = 0;
    const upperBound = b.upper;
    const interp = (v: number): number => rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) { lowerRank = rank; lowerSet = true; }
    if (!upperSet && lowerBound >= upper) { upperRank = rank; upperSet = true; }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) { lowerRank = interp(lower); lowerSet = true; }
    if (!upperSet && lowerBound < upper && upperBound > upper) { upperRank = interp(upper); upperSet = true; }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** histogram_fraction over classic `le` buckets, grouped like histogram_quantile. */
export function histogramFraction(ev: Evaluator, lower: number, upper: number, vec: Sample[]): Sample[] {
  return groupBuckets(ev, vec).map((g) => ({ metric: g.metric, v: bucketFraction(lower, upper, g.buckets), dropName: true }));
}

/** histogram_quantile over classic `le` buckets, grouped by all other labels. */
export function histogramQuantile(ev: Evaluator, q: number, vec: Sample[]): Sample[] {
  if (Number.isNaN(q) || q < 0 || q > 1) ev.ann.warn(`quantile value should be between 0 and 1, got ${formatFloat(q)}`);
  const out: Sample[] = [];
  for (const g of groupBuckets(ev, vec)) {
    const [v, forced] = bucketQuantile(q, g.buckets);
    if (forced) ev.ann.info(`input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(g.metric.__name__ ?? '')}`);
    out.push({ metric: g.metric, v, dropName: true });
  }
  return out;
}

/**
 * Per input label set: its bucket bound and its labels without `le` with their key. A range
 * query hands the same label objects in at every step, so this is computed once per series,
 * and the group labels are the same objects at every step too (downstream caches hit).
 */
const bucketOf = new WeakMap<Labels, { upper: number; metric: Labels; key: string }>();

function groupBuckets(ev: Evaluator, vec: Sample[]): Array<{ metric: Labels; buckets: Bucket[] }> {
  const groups = new Map<string, { metric: Labels; buckets: Bucket[] }>();
  for (const s of vec) {
    let b = bucketOf.get(s.metric);
    if (!b) {
      const le = s.metric.le;
      const metric = { ...s.metric };
      delete metric.le;
      b = { upper: le === undefined ? NaN : parseLe(le), metric, key: labelsKey(metric) };
      bucketOf.set(s.metric, b);
    }
    if (Number.isNaN(b.upper)) {
      const le = s.metric.le;
      ev.ann.warn(`bucket label "le" is missing or has a malformed value of "${le ?? ''}" for metric name ${JSON.stringify(s.metric.__name__ ?? '')}`);
      continue;
    }
    let g = groups.get(b.key);
    if (!g) { g = { metric: b.metric, buckets: [] }; groups.set(b.key, g); }
    g.buckets.push({ upper: b.upper, count: s.v });
  }
  return [...groups.values()];
}

function parseLe(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^[-+]?0x[0-9a-f]+$/.test(t)) return NaN;
  return Number(t);
}
