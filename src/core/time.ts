/**
 * Vigil's clock: integer microseconds since the Unix epoch in a JS number (exact to year 2255).
 * Wire formats in nanoseconds (Loki, OTLP) convert at the edge with these helpers.
 */
export type Micros = number;

export const MICROS_PER_MS = 1_000;
export const MICROS_PER_SECOND = 1_000_000;

/** The current time in microseconds. */
export function nowMicros(): Micros {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** Nanoseconds as a decimal string (Loki's wire format) to microseconds; undefined if not an integer string. */
export function nanosStringToMicros(ns: string): Micros | undefined {
  if (!/^-?\d{1,20}$/.test(ns)) return undefined;
  if (ns.length <= 3) return 0;
  return Number(ns.slice(0, -3));
}

/** Microseconds to Loki's nanosecond decimal string. */
export function microsToNanosString(us: Micros): string {
  if (us === 0) return '0';
  return `${Math.trunc(us)}000`;
}

/** Microseconds to an RFC 3339 string with microsecond precision (UTC). */
export function microsToRfc3339(us: Micros): string {
  const ms = Math.floor(us / 1000);
  const frac = us - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return frac === 0 ? iso : `${iso.slice(0, -1)}${String(frac).padStart(3, '0')}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses RFC 3339 / ISO 8601 date-times with up to nanosecond fractions into microseconds.
 * A missing zone is taken as UTC. Returns undefined when the text is not such a date.
 */
export function parseRfc3339(text: string): Micros | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  const micros = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  return ms * 1000 + micros;
}

/** Prometheus/Loki duration syntax (`1h30m`, `5m`, `250ms`, `1d`, `1w`, `1y`) to microseconds. */
export function parseDuration(text: string): Micros | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const n = Number(m[1]);
    const unit = m[2];
    const mult: Record<string, number> = {
      ns: 0.001, us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000,
      d: 86_400_000_000, w: 604_800_000_000, y: 31_536_000_000_000,
    };
    total += n * (mult[unit as string] as number);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length) return undefined;
  return Math.round(total);
}

/** Microseconds to a compact duration text (`1h30m`, `250ms`), for messages. */
export function formatDuration(us: Micros): string {
  if (us === 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000_000], ['h', 3_600_000_000], ['m', 60_000_000], ['s', 1_000_000], ['ms', 1_000], ['us', 1],
  ];
  let rest = Math.abs(us);
  let out = us < 0 ? '-' : '';
  for (const [u, size] of units) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}
