/**
 * PromQL values in the JSON shapes of Prometheus's HTTP API: times as float Unix seconds,
 * sample values as strings formatted like Go's strconv.FormatFloat ('f', -1), NaN/+Inf/-Inf
 * as Prometheus spells them. Called by the query routes.
 */
import { formatFloat, type RangeQueryResult, type ResultSeries, type Value } from '../../query/promql/index.js';

type Point = [number, string];

export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

const point = (tMs: number, v: number): Point => [tMs / 1000, formatFloat(v)];

/** An instant query's value at `timeMs`. Matrix series keep their own sample times. */
export function instantData(value: Value, timeMs: number): PromQueryData {
  switch (value.kind) {
    case 'scalar':
      return { resultType: 'scalar', result: point(timeMs, value.v) };
    case 'string':
      return { resultType: 'string', result: [timeMs / 1000, value.s] };
    case 'vector':
      return {
        resultType: 'vector',
        result: value.samples.map((s) => ({ metric: s.metric, value: point(timeMs, s.v) })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: value.series.map((s) => {
          const values: Point[] = [];
          for (let i = 0; i < s.t.length; i++) values.push(point(s.t[i] as number, s.v[i] as number));
          return { metric: s.metric, values };
        }),
      };
  }
}

function seriesValues(s: ResultSeries): Point[] {
  const out: Point[] = new Array<Point>(s.t.length);
  for (let i = 0; i < s.t.length; i++) out[i] = point(s.t[i] as number, s.v[i] as number);
  return out;
}

/** A range query's matrix. */
export function rangeData(r: RangeQueryResult): PromQueryData {
  return { resultType: 'matrix', result: r.series.map((s) => ({ metric: s.metric, values: seriesValues(s) })) };
}

/** The success envelope; warnings/infos only when present (Prometheus's omitempty). */
export function success(data: unknown, warnings: readonly string[] = [], infos: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { status: 'success', data };
  if (warnings.length > 0) out.warnings = warnings;
  if (infos.length > 0) out.infos = infos;
  return out;
}
