/** A range query's result series, filled step by step (engine.ts rangeQuery). */
import type { SampleSink } from './aggregate-stream.js';
import type { Labels } from './labels.js';
import { PromQLError, type ResultSeries } from './values.js';

/** Adds one step's value to a result series; a second value at the same step means two equal label sets. */
export function appendPoint(rs: ResultSeries, ts: number, v: number): void {
  if (rs.t.length > 0 && rs.t[rs.t.length - 1] === ts) throw new PromQLError('vector cannot contain metrics with the same labelset');
  rs.t.push(ts);
  rs.v.push(v);
}

/**
 * Takes a range query's values straight from a range function (`rate(x[5m])` at top level)
 * into the result series: the series at position k is the same at every step, so its result
 * series is found by position, without a Sample or a label lookup per series per step.
 */
export class ResultSink implements SampleSink {
  ts = 0;
  count = 0;
  private readonly series: Array<ResultSeries | undefined> = [];
  private readonly metrics: Array<Labels | undefined> = [];
  private readonly drops: boolean[] = [];

  constructor(private readonly resultOf: (m: Labels, dropName: boolean) => ResultSeries) {}

  add(k: number, metric: Labels, v: number, dropName: boolean): void {
    let rs = this.series[k];
    if (rs === undefined || this.metrics[k] !== metric || this.drops[k] !== dropName) {
      rs = this.resultOf(metric, dropName);
      this.series[k] = rs; this.metrics[k] = metric; this.drops[k] = dropName;
    }
    appendPoint(rs, this.ts, v);
    this.count++;
  }
}
