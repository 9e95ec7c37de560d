/**
 * Syslog timestamps read straight from the frame's bytes (no regex, no substring per message):
 * RFC 5424 / ISO 8601 date-times and RFC 3164's `Mmm dd hh:mm:ss`, whose missing year is inferred
 * from the receive time and whose zone is the configured one.
 */
import type { Micros } from '../../core/time.js';

const D0 = 0x30;
const DAY = 86_400_000_000;

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= D0 && b <= D0 + 9;
}

/** Reads `n` decimal digits at `p`; -1 when any is not a digit. */
function digits(buf: Buffer, p: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[p + i];
    if (b === undefined || b < D0 || b > D0 + 9) return -1;
    v = v * 10 + (b - D0);
  }
  return v;
}

/** Result slot reused across calls so the hot path allocates nothing. */
export interface TimeOut {
  ts: Micros;
  /** Offset just past the timestamp. */
  end: number;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` at `p` (a missing zone is taken as `zoneOffsetMs`
 * applied as local time). Returns false, leaving `out` untouched, when the bytes are not such a date.
 */
export function parseIsoAt(buf: Buffer, p: number, end: number, zone: Zone, out: TimeOut): boolean {
  if (end - p < 19) return false;
  const y = digits(buf, p, 4);
  const mo = digits(buf, p + 5, 2);
  const d = digits(buf, p + 8, 2);
  const h = digits(buf, p + 11, 2);
  const mi = digits(buf, p + 14, 2);
  const s = digits(buf, p + 17, 2);
  const t = buf[p + 10];
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return false;
  if (buf[p + 4] !== 0x2d || buf[p + 7] !== 0x2d || (t !== 0x54 && t !== 0x74 && t !== 0x20) || buf[p + 13] !== 0x3a || buf[p + 16] !== 0x3a) return false;
  let q = p + 19;
  let micros = 0;
  if (q < end && (buf[q] === 0x2e || buf[q] === 0x2c)) {
    q++;
    let n = 0;
    while (q < end && isDigit(buf[q])) {
      if (n < 6) micros = micros * 10 + ((buf[q] as number) - D0);
      n++;
      q++;
    }
    if (n === 0) return false;
    for (; n < 6; n++) micros *= 10;
  }
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const z = buf[q];
  if (z === 0x5a || z === 0x7a) q++;
  else if (z === 0x2b || z === 0x2d) {
    const oh = digits(buf, q + 1, 2);
    const colon = buf[q + 3] === 0x3a ? 1 : 0;
    const om = digits(buf, q + 3 + colon, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    ms -= (z === 0x2d ? -1 : 1) * (oh * 60 + om) * 60_000;
    q += 5 + colon;
  } else ms -= zone.offsetMs(ms);
  if (q < end && buf[q] !== 0x20) return false;
  out.ts = ms * 1000 + micros;
  out.end = q;
  return true;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/**
 * Parses RFC 3164's `Mmm dd hh:mm:ss` (day may be space-padded; optional `.frac`; also Cisco's
 * `Mmm dd yyyy hh:mm:ss`) at `p`. Without a year, the current year of `now` is taken unless that
 * puts the time over a month ahead (then last year) or over eleven months behind (then next year).
 */
export function parseBsdAt(buf: Buffer, p: number, end: number, zone: Zone, now: Micros, out: TimeOut): boolean {
  if (end - p < 15) return false;
  const mon = MONTHS[buf.toString('latin1', p, p + 3)];
  if (mon === undefined || buf[p + 3] !== 0x20) return false;
  const d = buf[p + 4] === 0x20 ? digits(buf, p + 5, 1) : digits(buf, p + 4, 2);
  if (d < 1 || d > 31 || buf[p + 6] !== 0x20) return false;
  let q = p + 7;
  let year = -1;
  if (buf[q + 4] === 0x20 && isDigit(buf[q]) && buf[q + 2] !== 0x3a) {
    year = digits(buf, q, 4);
    if (year < 0) return false;
    q += 5;
  }
  const h = digits(buf, q, 2);
  const mi = digits(buf, q + 3, 2);
  const s = digits(buf, q + 6, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 || buf[q + 2] !== 0x3a || buf[q + 5] !== 0x3a) return false;
  q += 8;
  let micros = 0;
  if (q < end && buf[q] === 0x2e) {
    q++;
    let n = 0;
    while (q < end && isDigit(buf[q])) {
      if (n < 6) micros = micros * 10 + ((buf[q] as number) - D0);
      n++;
      q++;
    }
    for (; n < 6; n++) micros *= 10;
  }
  if (q < end && buf[q] !== 0x20) return false;
  const at = (yr: number) => {
    const local = Date.UTC(yr, mon, d, h, mi, s);
    return (local - zone.offsetMs(local)) * 1000 + micros;
  };
  if (year >= 0) out.ts = at(year);
  else {
    // Syslog times are rarely from the future: more than a month ahead means last year (a December
    // message read in January); more than eleven months behind means next year (sender clock ahead
    // across New Year).
    const thisYear = new Date(now / 1000).getUTCFullYear();
    let t = at(thisYear);
    if (t - now > 31 * DAY) t = at(thisYear - 1);
    else if (now - t > 335 * DAY) t = at(thisYear + 1);
    out.ts = t;
  }
  out.end = q;
  return true;
}

/** A time zone for timestamps that carry none: its offset from UTC at a given (local) instant. */
export interface Zone {
  readonly name: string;
  offsetMs(atMs: number): number;
}

const FIXED = /^(?:UTC|GMT|Z)?([+-])(\d{2}):?(\d{2})$/;

/**
 * The zone for `timezone` config: `UTC`, a fixed offset (`+02:00`), `local` (this host's zone) or an
 * IANA name (`Europe/Paris`, DST-aware). Throws a RangeError naming the value when it is unknown.
 */
export function zoneFor(name: string): Zone {
  if (name === 'UTC' || name === 'Z' || name === 'GMT') return { name, offsetMs: () => 0 };
  const f = FIXED.exec(name);
  if (f) {
    const off = (f[1] === '-' ? -1 : 1) * (Number(f[2]) * 60 + Number(f[3])) * 60_000;
    return { name, offsetMs: () => off };
  }
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name === 'local' ? undefined : name,
      hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(name)} (use UTC, local, +HH:MM or an IANA name like Europe/Paris)`);
  }
  // Offsets change at most a few times a year; caching per hour keeps Intl off the hot path.
  const cache = new Map<number, number>();
  const offsetAt = (utcMs: number): number => {
    const hour = Math.floor(utcMs / 3_600_000);
    let off = cache.get(hour);
    if (off === undefined) {
      const parts: Record<string, number> = {};
      for (const part of fmt.formatToParts(new Date(hour * 3_600_000))) parts[part.type] = Number(part.value);
      const wall = Date.UTC(parts['year'] ?? 0, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0);
      off = wall - hour * 3_600_000;
      if (cache.size > 10_000) cache.clear();
      cache.set(hour, off);
    }
    return off;
  };
  // The argument is a wall-clock time read as UTC; one correction step finds the real offset.
  return { name, offsetMs: (local) => offsetAt(local - offsetAt(local)) };
}
