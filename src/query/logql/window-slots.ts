/**
 * Constant-memory windows for decomposable range aggregations (count_over_time, rate,
 * bytes_over_time, bytes_rate): instead of keeping every sample, each series keeps one count and
 * one sum per slot between consecutive window edges, and each step's window (t - range, t] is a
 * difference of prefix sums. Memory is O(series × steps), not O(entries).
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import { queryError } from './errors.js';
import { newSeries, stepTime, type Series, type Steps } from './steps.js';

interface SlotSeries {
  labels: Labels;
  counts: Float64Array;
  sums: Float64Array;
}

export class WindowSlots {
  /** Sorted distinct window edges; slot k holds samples in (edges[k-1], edges[k]]. */
  private readonly edges: Float64Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly series = new Map<string, SlotSeries>();

  /**
   * `maxSeries` bounds memory early: every series here has a sample in some window, so more than
   * maxSeries × steps series means some step holds more than maxSeries (Loki's series limit).
   */
  constructor(private readonly steps: Steps, range: Micros, offset: Micros, private readonly maxSeries = Infinity) {
    const all: number[] = [];
    for (let i = 0; i < steps.n; i++) {
      const t = stepTime(steps, i) - offset;
      all.push(t - range, t);
    }
    all.sort((a, b) => a - b);
    const uniq = all.filter((v, i) => i === 0 || v !== all[i - 1]);
    this.edges = Float64Array.from(uniq);
    this.lo = new Int32Array(steps.n);
    this.hi = new Int32Array(steps.n);
    for (let i = 0; i < steps.n; i++) {
      const t = stepTime(steps, i) - offset;
      this.lo[i] = this.edgeIndex(t - range);
      this.hi[i] = this.edgeIndex(t);
    }
  }

  /** Index of the first edge >= t (edges.length when none). */
  private edgeIndex(t: number): number {
    let a = 0;
    let b = this.edges.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if ((this.edges[m] as number) < t) a = m + 1;
      else b = m;
    }
    return a;
  }

  add(key: string, labels: Labels, t: Micros, v: number): void {
    const k = this.edgeIndex(t);
    if (k === 0 || k >= this.edges.length) return; // outside every window
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries * this.steps.n) {
        throw queryError(`maximum of series (${this.maxSeries}) reached for a single query; reduce the cardinality with more specific selectors, drop/keep or a by () aggregation`);
      }
      const m = this.edges.length;
      s = { labels, counts: new Float64Array(m), sums: new Float64Array(m) };
      this.series.set(key, s);
    }
    s.counts[k] = (s.counts[k] as number) + 1;
    s.sums[k] = (s.sums[k] as number) + v;
  }

  /** Step series of `f(count, sum)` over each window; steps with no sample are absent. */
  result(f: (count: number, sum: number) => number): Series[] {
    const out: Series[] = [];
    const m = this.edges.length;
    for (const [key, s] of this.series) {
      for (let k = 1; k < m; k++) {
        s.counts[k] = (s.counts[k] as number) + (s.counts[k - 1] as number);
        s.sums[k] = (s.sums[k] as number) + (s.sums[k - 1] as number);
      }
      const series = newSeries(s.labels, this.steps.n, key);
      let any = false;
      for (let i = 0; i < this.steps.n; i++) {
        const a = this.lo[i] as number;
        const b = this.hi[i] as number;
        const count = (s.counts[b] as number) - (s.counts[a] as number);
        if (count === 0) continue;
        series.vals[i] = f(count, (s.sums[b] as number) - (s.sums[a] as number));
        series.has[i] = 1;
        any = true;
      }
      if (any) out.push(series);
    }
    return out;
  }
}
