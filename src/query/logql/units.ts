/**
 * Unit conversions LogQL applies to label values: Go durations (`| unwrap duration(x)`,
 * `latency > 250ms`) and humanized byte sizes (`| unwrap bytes(x)`, `size > 20KB`).
 */

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600,
};

/** Go's time.ParseDuration, in seconds (float); undefined when the text is not a Go duration. */
export function parseGoDurationSeconds(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (GO_DURATION_UNITS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  return sign * total;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 1024, kib: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1e15, pb: 1e15, pi: 1024 ** 5, pib: 1024 ** 5,
  e: 1e18, eb: 1e18, ei: 1024 ** 6, eib: 1024 ** 6,
};

/** go-humanize's ParseBytes (`20KB` = 20000, `1KiB` = 1024, `1.5 MB`); undefined when invalid. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const mult = BYTE_UNITS[(m[2] as string).toLowerCase()];
  if (mult === undefined) return undefined;
  return Math.floor(Number((m[1] as string).replace(/,/g, '')) * mult);
}
