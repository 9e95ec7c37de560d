import type { LabelMatcher } from './ast.js';
import type { Labels } from './labels.js';

/**
 * One series as the engine reads it: timestamps in ms ascending, values aligned with them. The
 * arrays may be shared with the store (views of cached chunks, pooled buffers): read-only.
 */
export interface SeriesData {
  labels: Labels;
  t: Float64Array | number[];
  v: Float64Array | number[];
}

/**
 * The narrow storage boundary of the PromQL engine. The in-memory store (memory-storage.ts)
 * and the metrics store implement it. `select` returns every series matching all matchers,
 * with its samples whose timestamps fall in [startMs, endMs] (stale markers included, as the
 * StaleNaN bit pattern). Rejections propagate to the query caller.
 */
export interface SeriesQuerier {
  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesData[]>;
  /**
   * Optional: the engine is done with a `select` result and holds no reference to it or to any
   * array in it (called once per result, after the query's answer was built from copies). The
   * store may then reuse the result's buffers; until then it must not touch them.
   */
  release?(data: SeriesData[]): void;
}

/** Prometheus's staleness marker: a NaN with the payload 0x7ff0000000000002. */
export const STALE_NAN: number = (() => {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint32(0, 0x7ff00000);
  b.setUint32(4, 0x00000002);
  return b.getFloat64(0);
})();

const probe = new DataView(new ArrayBuffer(8));

/** True when `v` carries the staleness-marker bit pattern (not just any NaN). */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  probe.setFloat64(0, v);
  return probe.getUint32(0) === 0x7ff00000 && probe.getUint32(4) === 2;
}
