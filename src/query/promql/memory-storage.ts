import type { LabelMatcher } from './ast.js';
import { labelsKey, matchesAll, type Labels } from './labels.js';
import type { SeriesData, SeriesQuerier } from './storage.js';

interface MemSeries {
  labels: Labels;
  t: number[];
  v: Float64Array;
  n: number;
}

/**
 * In-memory SeriesQuerier for tests and the promqltest runner. Samples per series must be
 * appended in time order; an append at an existing timestamp replaces the value.
 */
export class MemoryStorage implements SeriesQuerier {
  private readonly series = new Map<string, MemSeries>();

  /** Adds one sample. Values are kept in a Float64Array so NaN payloads (StaleNaN) survive. */
  append(labels: Labels, t: number, v: number): void {
    const key = labelsKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, t: [], v: new Float64Array(16), n: 0 };
      this.series.set(key, s);
    }
    const last = s.t[s.n - 1];
    if (last !== undefined && t <= last) {
      const i = s.t.indexOf(t);
      if (i >= 0) { s.v[i] = v; return; }
      throw new Error(`out-of-order sample for ${key} at ${t}`);
    }
    if (s.n === s.v.length) {
      const nv = new Float64Array(s.v.length * 2);
      nv.set(s.v);
      s.v = nv;
    }
    s.t.push(t);
    s.v[s.n++] = v;
  }

  clear(): void {
    this.series.clear();
  }

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesData[]> {
    const out: SeriesData[] = [];
    for (const s of this.series.values()) {
      if (!matchesAll(matchers, s.labels)) continue;
      let lo = 0;
      while (lo < s.n && (s.t[lo] as number) < startMs) lo++;
      let hi = lo;
      while (hi < s.n && (s.t[hi] as number) <= endMs) hi++;
      if (hi === lo) continue;
      out.push({ labels: s.labels, t: s.t.slice(lo, hi), v: s.v.slice(lo, hi) });
    }
    return Promise.resolve(out);
  }
}
