/**
 * Timestamp formats of the `timestamp` parser, each compiled once into a function text → Micros
 * (undefined when the text is not in that format). Zone-less formats use the configured location.
 */
import type { Micros } from '../../../core/time.js';
import { compileGoLayout, matchGoLayout, monthIndex, parseOffset, type DateParts } from './go-layout.js';
import { Zone } from './zone.js';

export const NAMED_FORMATS = ['rfc3339', 'iso8601', 'unix', 'unix_ms', 'unix_us', 'unix_ns', 'common_log', 'rfc3164'] as const;

export type TimestampFn = (text: string) => Micros | undefined;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;
const CLF = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-]\d{4})$/;
const RFC3164 = /^([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Turns date parts into micros: their own offset wins, else the zone's wall-clock conversion. */
function toMicros(d: DateParts, zone: Zone, year: number): Micros | undefined {
  const wall = Date.UTC(year, d.month, d.day, d.hour, d.minute, d.second);
  if (Number.isNaN(wall)) return undefined;
  // Date.UTC rolls Feb 30 into March: reject dates that do not exist.
  if (new Date(wall).getUTCDate() !== d.day) return undefined;
  const utc = d.offsetMin !== undefined ? wall - d.offsetMin * 60_000 : zone.toUtc(wall);
  return utc * 1000 + d.micros;
}

function fracMicros(f: string | undefined): number {
  return f ? Number(f.padEnd(6, '0').slice(0, 6)) : 0;
}

function isoLike(re: RegExp, zone: Zone): TimestampFn {
  return (text) => {
    const m = re.exec(text);
    if (!m) return undefined;
    const d: DateParts = {
      year: Number(m[1]), month: Number(m[2]) - 1, day: Number(m[3]), hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0), micros: fracMicros(m[7]),
      offsetMin: m[8] ? parseOffset(m[8]) : undefined,
    };
    if (d.month > 11 || d.hour > 23 || d.minute > 59 || d.second > 60) return undefined;
    return toMicros(d, zone, d.year as number);
  };
}

/** Integer or decimal epoch text scaled to micros without float error for the integer part. */
function epoch(unitDigits: number): TimestampFn {
  const re = /^(-?)(\d{1,20})(?:\.(\d{1,9}))?$/;
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return undefined;
    const int = m[2] as string;
    const frac = m[3] ?? '';
    // Shift the decimal point: unitDigits = digits to go from the unit to micros (6 for s, -3 for ns).
    let digits = int + frac;
    let point = int.length + unitDigits;
    if (point <= 0) return 0;
    if (digits.length < point) digits = digits.padEnd(point, '0');
    const v = Number(digits.slice(0, point));
    if (!Number.isSafeInteger(v)) return undefined;
    return m[1] === '-' ? -v : v;
  };
}

/**
 * Compiles `format` (a named format or a Go layout) for the zone `location`. `now` supplies the
 * year for syslog's year-less `Jan  2 15:04:05`. Throws an Error for an unusable layout or zone.
 */
export function compileFormat(format: string, location: string, now: () => Micros): TimestampFn {
  const zone = new Zone(location);
  switch (format) {
    case 'rfc3339':
      return isoLike(RFC3339, zone);
    case 'iso8601':
      return isoLike(ISO, zone);
    case 'unix':
      return epoch(6);
    case 'unix_ms':
      return epoch(3);
    case 'unix_us':
      return epoch(0);
    case 'unix_ns':
      return epoch(-3);
    case 'common_log':
      return (text) => {
        const m = CLF.exec(text);
        if (!m) return undefined;
        const month = monthIndex(m[2] as string);
        if (month === undefined) return undefined;
        const d: DateParts = {
          year: Number(m[3]), month, day: Number(m[1]), hour: Number(m[4]), minute: Number(m[5]),
          second: Number(m[6]), micros: fracMicros(m[7]), offsetMin: parseOffset(m[8] as string),
        };
        return toMicros(d, zone, d.year as number);
      };
    case 'rfc3164':
      return (text) => {
        const m = RFC3164.exec(text);
        if (!m) return undefined;
        const month = monthIndex(m[1] as string);
        if (month === undefined) return undefined;
        const d: DateParts = {
          year: undefined, month, day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]),
          second: Number(m[5]), micros: 0, offsetMin: undefined,
        };
        return withGuessedYear(d, zone, now);
      };
    default: {
      const c = compileGoLayout(format);
      return (text) => {
        const d = matchGoLayout(c, text);
        if (!d) return undefined;
        return d.year === undefined ? withGuessedYear(d, zone, now) : toMicros(d, zone, d.year);
      };
    }
  }
}

/** Year-less dates take the current year, or the previous one when that would be > 1 day ahead (December logs read in January). */
function withGuessedYear(d: DateParts, zone: Zone, now: () => Micros): Micros | undefined {
  const nowUs = now();
  const year = new Date(nowUs / 1000).getUTCFullYear();
  const t = toMicros(d, zone, year);
  if (t !== undefined && t > nowUs + 86_400_000_000) return toMicros(d, zone, year - 1);
  return t;
}
