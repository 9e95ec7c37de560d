/**
 * Prometheus's HTTP API parameter rules (web/api/v1/api.go parseTime/parseDuration), so
 * Grafana, promtool and other clients get the same accepted formats and the same error texts.
 * Every failure is a VigilError BAD_REQUEST (answered as errorType "bad_data", 400).
 */
import { VigilError } from '../../core/errors.js';
import { parseDuration, parseRfc3339 } from '../../core/time.js';

/** Prometheus's MinTime/MaxTime (ms): the defaults of optional start/end on metadata endpoints. */
export const MIN_TIME_MS = -9223372036854; // math.MinInt64 / 1e6, as Prometheus rounds it
export const MAX_TIME_MS = 9223372036854;

/** Prometheus refuses range queries with more points per series than this. */
export const MAX_POINTS = 11_000;

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function invalidParam(param: string, reason: string): VigilError {
  return new VigilError('BAD_REQUEST', `invalid parameter ${JSON.stringify(param)}: ${reason}`);
}

/**
 * A timestamp parameter in ms: float Unix seconds (rounded to the ms) or RFC 3339; `def` when
 * absent. Throws BAD_REQUEST `invalid parameter "time": cannot parse "x" to a valid timestamp`.
 */
export function parsePromTime(param: string, value: string | undefined, def: number): number {
  if (value === undefined || value === '') return def;
  if (FLOAT.test(value)) {
    const s = Number(value);
    if (Number.isFinite(s)) {
      const ms = Math.round(s * 1000);
      if (ms >= MIN_TIME_MS * 1000 && ms <= MAX_TIME_MS * 1000) return ms;
    }
  }
  // Prometheus's own minTime/maxTime renderings (clients echo them back).
  if (value === '-292273086-05-16T16:47:06Z') return MIN_TIME_MS;
  if (value === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  const us = parseRfc3339(value);
  if (us !== undefined) return Math.floor(us / 1000);
  throw invalidParam(param, `cannot parse ${JSON.stringify(value)} to a valid timestamp`);
}

/** A duration parameter in ms: float seconds or a Prometheus duration (`5m`). */
export function parsePromDuration(param: string, value: string): number {
  if (FLOAT.test(value)) {
    const s = Number(value);
    const ms = s * 1000;
    if (!Number.isFinite(ms) || Math.abs(ms) >= 9223372036854) {
      throw invalidParam(param, `cannot parse ${JSON.stringify(value)} to a valid duration. It overflows int64`);
    }
    return Math.round(ms);
  }
  const us = parseDuration(value);
  if (us === undefined) throw invalidParam(param, `cannot parse ${JSON.stringify(value)} to a valid duration`);
  return Math.round(us / 1000);
}
