/**
 * Timestamps found in pushed JSON documents: RFC 3339 / ISO 8601 text or epoch milliseconds
 * (number or digit string), as Elasticsearch's default `date` mapping accepts them.
 */
import { parseRfc3339, type Micros } from '../../core/time.js';

/** Epoch milliseconds or ISO-8601 text to microseconds; undefined when it is neither. */
export function parseDocTime(v: unknown): Micros | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^-?\d{1,16}(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  return parseRfc3339(v.trim());
}

/** The first of `names` present in `doc` that parses; `fallback` (the receive time) otherwise. */
export function docTime(doc: Record<string, unknown>, names: ReadonlyArray<string>, fallback: Micros): Micros {
  for (const n of names) {
    const v = doc[n];
    if (v === undefined) continue;
    const t = parseDocTime(v);
    if (t !== undefined) return t;
  }
  return fallback;
}
