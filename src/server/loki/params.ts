/**
 * Loki's query parameter rules (pkg/loghttp/params.go), so existing clients (Grafana, logcli)
 * get the same defaults and the same accepted time formats. Every failure is a VigilError
 * BAD_REQUEST whose message names the parameter.
 */
import { VigilError } from '../../core/errors.js';
import { MICROS_PER_SECOND, nowMicros, parseDuration, parseRfc3339, type Micros } from '../../core/time.js';

export const DEFAULT_QUERY_LIMIT = 100;
const DEFAULT_SINCE: Micros = 3600 * MICROS_PER_SECOND;
/** Loki refuses range queries with more points per series than this. */
const MAX_POINTS = 11_000;

/** Form values as Go's `r.Form`: body (form-encoded POST) first, then the URL query. */
export class FormValues {
  private readonly values = new Map<string, string[]>();
  constructor(...sources: Array<Record<string, unknown> | URLSearchParams | undefined>) {
    for (const src of sources) {
      if (!src) continue;
      const entries = src instanceof URLSearchParams ? [...src.entries()] : Object.entries(src);
      for (const [k, v] of entries) {
        const list = this.values.get(k) ?? [];
        if (Array.isArray(v)) for (const x of v) list.push(String(x));
        else if (v !== undefined && v !== null) list.push(String(v));
        this.values.set(k, list);
      }
    }
  }
  /** The first value, or '' when absent (Go's Form.Get). */
  get(name: string): string {
    return this.values.get(name)?.[0] ?? '';
  }
  getAll(name: string): string[] {
    return this.values.get(name) ?? [];
  }
}

function bad(message: string): VigilError {
  return new VigilError('BAD_REQUEST', message);
}

const FLOAT_SECONDS = /^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * Loki's timestamp rule: `""` → `def`; a number with a "." → float Unix seconds (rounded to the
 * millisecond); an integer of at most 10 characters → Unix seconds, longer → nanoseconds;
 * otherwise an RFC 3339 date. Throws BAD_REQUEST naming `param`.
 */
export function parseLokiTime(param: string, value: string, def: Micros): Micros {
  if (value === '') return def;
  if (value.includes('.') && FLOAT_SECONDS.test(value)) {
    const t = Number(value);
    if (Number.isFinite(t)) {
      const s = Math.trunc(t);
      const ms = Math.round((t - s) * 1000);
      return s * MICROS_PER_SECOND + ms * 1000;
    }
  }
  if (INTEGER.test(value)) {
    const n = BigInt(value);
    if (n > 9223372036854775807n || n < -9223372036854775808n) {
      throw bad(`could not parse '${param}' parameter: ${JSON.stringify(value)} is out of range for a timestamp`);
    }
    if (value.length <= 10) return Number(n) * MICROS_PER_SECOND;
    // Floor division toward -infinity keeps sub-microsecond nanoseconds inside the same microsecond.
    const us = n >= 0n ? n / 1000n : -((-n + 999n) / 1000n);
    return Number(us);
  }
  const t = parseRfc3339(value);
  if (t !== undefined) return t;
  throw bad(
    `could not parse '${param}' parameter: ${JSON.stringify(value)} is neither Unix seconds, Unix nanoseconds nor an RFC3339 date`,
  );
}

/** Loki's duration rule for `step`/`interval`: float seconds, or a Prometheus duration (`5m`). */
export function parseSecondsOrDuration(param: string, value: string): Micros {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(value)) {
    const s = Number(value);
    const us = Math.round(s * MICROS_PER_SECOND);
    if (!Number.isSafeInteger(us)) throw bad(`invalid ${param} parameter: cannot parse ${JSON.stringify(value)} to a valid duration. It overflows`);
    return us;
  }
  const d = parseDuration(value);
  if (d === undefined) throw bad(`invalid ${param} parameter: cannot parse ${JSON.stringify(value)} to a valid duration`);
  return d;
}

/** `limit`: default 100, must be a positive integer, at most `max`. */
export function parseLimit(form: FormValues, max: number): number {
  const raw = form.get('limit');
  if (raw === '') return Math.min(DEFAULT_QUERY_LIMIT, max);
  if (!INTEGER.test(raw)) throw bad(`invalid limit parameter: ${JSON.stringify(raw)} is not an integer`);
  const n = Number(raw);
  if (n <= 0) throw bad('invalid limit parameter: limit must be a positive value');
  if (n > max) throw bad(`invalid limit parameter: max entries limit per query exceeded, limit > max_entries_limit (${n} > ${max})`);
  return n;
}

/** `direction`: forward|backward (any case), default backward. */
export function parseDirection(form: FormValues): 'forward' | 'backward' {
  const raw = form.get('direction');
  if (raw === '') return 'backward';
  const d = raw.toLowerCase();
  if (d === 'forward' || d === 'backward') return d;
  throw bad(`invalid direction parameter '${raw}': use forward or backward`);
}

/** `query`: required, non-empty. */
export function parseQueryText(form: FormValues): string {
  const q = form.get('query');
  if (q.trim() === '') throw bad('query parameter is required: a LogQL expression such as {app="api"}');
  return q;
}

/**
 * Loki's bounds: `end` defaults to now, `start` to min(end, now) - `since` (default 1h).
 * Throws BAD_REQUEST naming `since`, `start` or `end`.
 */
export function parseBounds(form: FormValues, now: Micros = nowMicros()): { start: Micros; end: Micros } {
  let since = DEFAULT_SINCE;
  const sinceRaw = form.get('since');
  if (sinceRaw !== '') {
    const d = parseDuration(sinceRaw);
    if (d === undefined) throw bad(`could not parse 'since' parameter: ${JSON.stringify(sinceRaw)} is not a duration such as 1h or 30m`);
    since = d;
  }
  const end = parseLokiTime('end', form.get('end'), now);
  const endOrNow = end > now ? now : end;
  const start = parseLokiTime('start', form.get('start'), endOrNow - since);
  return { start, end };
}

/** Loki's default step: max(floor((end - start) / 250 s), 1) seconds. */
export function defaultStep(start: Micros, end: Micros): Micros {
  return Math.max(Math.floor((end - start) / MICROS_PER_SECOND / 250), 1) * MICROS_PER_SECOND;
}

export interface RangeParams {
  query: string;
  start: Micros;
  end: Micros;
  step: Micros;
  interval: Micros | undefined;
  limit: number;
  direction: 'forward' | 'backward';
}

/** All /query_range parameters, validated in Loki's order and with its rules. */
export function parseRangeParams(form: FormValues, maxLimit: number, now: Micros = nowMicros()): RangeParams {
  const query = parseQueryText(form);
  const { start, end } = parseBounds(form, now);
  if (end < start) throw bad('invalid end parameter: end timestamp must not be before start time');
  const limit = parseLimit(form, maxLimit);
  const direction = parseDirection(form);
  const stepRaw = form.get('step');
  const step = stepRaw === '' ? defaultStep(start, end) : parseSecondsOrDuration('step', stepRaw);
  if (step <= 0) {
    throw bad('invalid step parameter: zero or negative query resolution step widths are not accepted. Try a positive integer');
  }
  if ((end - start) / step > MAX_POINTS) {
    throw bad('invalid step parameter: exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter');
  }
  const intervalRaw = form.get('interval');
  let interval: Micros | undefined;
  if (intervalRaw !== '') {
    interval = parseSecondsOrDuration('interval', intervalRaw);
    if (interval < 0) throw bad('invalid interval parameter: interval must be >= 0');
  }
  return { query, start, end, step, interval, limit, direction };
}

export interface InstantParams {
  query: string;
  time: Micros;
  limit: number;
  direction: 'forward' | 'backward';
}

/** All /query parameters: `time` defaults to now. */
export function parseInstantParams(form: FormValues, maxLimit: number, now: Micros = nowMicros()): InstantParams {
  const query = parseQueryText(form);
  const limit = parseLimit(form, maxLimit);
  const time = parseLokiTime('time', form.get('time'), now);
  const direction = parseDirection(form);
  return { query, time, limit, direction };
}
