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

/** A response body already serialized as JSON (UTF-8); api.ts sends it as application/json. */
export class RawJson {
  constructor(readonly body: Buffer) {}
}

/** An append-only byte buffer that doubles when full. */
class ByteWriter {
  buf: Buffer;
  p = 0;
  constructor(size: number) { this.buf = Buffer.allocUnsafe(size); }
  ensure(n: number): void {
    if (this.p + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.p + n));
    this.buf.copy(next, 0, 0, this.p);
    this.buf = next;
  }
  /** Appends a string known to be ASCII (numbers, formatFloat output, fixed JSON punctuation). */
  ascii(s: string): void {
    this.ensure(s.length);
    const { buf } = this;
    let p = this.p;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.p = p;
  }
  utf8(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.p += this.buf.write(s, this.p, 'utf8');
  }
  /** JSON text of `ms / 1000`, as JSON.stringify writes it. */
  seconds(ms: number): void {
    // Whole non-negative ms below 1e15 print as "<s>" or "<s>.<up to 3 digits>": at most 15
    // significant digits, so that decimal is the double's shortest round-trip form.
    if (!(Number.isInteger(ms) && ms >= 0 && ms < 1e15)) { this.ascii(jsonNumber(ms / 1000)); return; }
    const frac = ms % 1000;
    this.ascii(String((ms - frac) / 1000));
    if (frac === 0) return;
    this.ensure(4);
    const { buf } = this;
    buf[this.p++] = 46; // '.'
    const d1 = Math.floor(frac / 100); const d2 = Math.floor(frac / 10) % 10; const d3 = frac % 10;
    buf[this.p++] = 48 + d1;
    if (d2 !== 0 || d3 !== 0) buf[this.p++] = 48 + d2;
    if (d3 !== 0) buf[this.p++] = 48 + d3;
  }
}

/**
 * A range query's whole success response, byte-identical to
 * `JSON.stringify(success(rangeData(r), r.warnings, r.infos))` but written straight into bytes:
 * a large answer (a 6 h rate is tens of MB) builds no array, object or string per point.
 */
export function rangeResponse(r: RangeQueryResult): RawJson {
  let points = 0;
  for (const s of r.series) points += s.t.length;
  const w = new ByteWriter(128 + r.series.length * 160 + points * 36);
  w.ascii('{"status":"success","data":{"resultType":"matrix","result":[');
  for (let k = 0; k < r.series.length; k++) {
    const s = r.series[k] as ResultSeries;
    w.ascii(k === 0 ? '{"metric":' : ',{"metric":');
    w.utf8(JSON.stringify(s.metric));
    w.ascii(',"values":[');
    const { t, v } = s;
    for (let i = 0; i < t.length; i++) {
      w.ascii(i === 0 ? '[' : ',[');
      w.seconds(t[i] as number);
      w.ascii(',"');
      // formatFloat's output (digits, '.', '-', NaN, +Inf, -Inf) is ASCII and needs no escaping.
      w.ascii(formatFloat(v[i] as number));
      w.ascii('"]');
    }
    w.ascii(']}');
  }
  w.ascii(']}');
  if (r.warnings.length > 0) w.utf8(`,"warnings":${JSON.stringify(r.warnings)}`);
  if (r.infos.length > 0) w.utf8(`,"infos":${JSON.stringify(r.infos)}`);
  w.ascii('}');
  return new RawJson(w.buf.subarray(0, w.p));
}

/** JSON.stringify of a number: non-finite ones become null. */
const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');
