import { VigilError } from '../../core/errors.js';
import type { Labels } from './labels.js';

/** One element of an instant vector. `dropName`: __name__ is removed when the query finishes. */
export interface Sample {
  metric: Labels;
  v: number;
  dropName: boolean;
  /** Sample timestamp (ms) when it came straight from a selector; used by timestamp(). */
  ts?: number;
}

/** Sample timestamps or values: views into storage arrays where possible, else plain arrays. */
export type Floats = Float64Array | number[];

/** One series of a range vector (points in time order). Treat `t`/`v` as read-only views. */
export interface RangeSeries {
  metric: Labels;
  t: Floats;
  v: Floats;
  dropName: boolean;
}

/** One series of a range query's result. */
export interface ResultSeries {
  metric: Labels;
  t: number[];
  v: number[];
}

export type Value =
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; s: string }
  | { kind: 'vector'; samples: Sample[] }
  | { kind: 'matrix'; series: RangeSeries[] };

/**
 * A query that fails while evaluating, with Prometheus's message text. Code BAD_QUERY, or
 * LIMIT_EXCEEDED when the sample budget is exhausted, QUERY_TIMEOUT past the deadline or on abort.
 */
export class PromQLError extends VigilError {
  constructor(message: string, code: 'BAD_QUERY' | 'LIMIT_EXCEEDED' | 'QUERY_TIMEOUT' = 'BAD_QUERY') {
    super(code, message);
    this.name = 'VigilError';
  }
}

/** Warnings and infos collected while evaluating, as Prometheus "annotations". */
export class Annotations {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  warn(msg: string): void { this.warnings.add(`PromQL warning: ${msg}`); }
  info(msg: string): void { this.infos.add(`PromQL info: ${msg}`); }
}

/** Neumaier-compensated summation step, as Prometheus's kahanSumInc. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += (sum - t) + inc;
  else c += (inc - t) + sum;
  return [t, c];
}

/** Prometheus's quantile over plain values (sorted copy, linear interpolation). */
export function quantile(q: number, values: Floats): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const s = Array.from(values).sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  const n = s.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const w = rank - Math.floor(rank);
  return (s[lower] as number) * (1 - w) + (s[upper] as number) * w;
}

/**
 * Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that round-trip, never in
 * exponent form; NaN, +Inf, -Inf as Prometheus prints them. Used for count_values labels and
 * by the HTTP API for sample values.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  // Most values print without an exponent, and then JS and Go agree: skip the regex.
  if (!s.includes('e')) return s;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = (m[2] as string) + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) {
    const intLen = 1 + exp;
    const body = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
    return m[1] + body;
  }
  return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
}
