/**
 * Go reference-time layouts (`2006-01-02 15:04:05.000 -0700`) compiled once into a regular
 * expression plus a plan saying which capture fills which date part. The subset covers what log
 * formats use: numeric and named months, days, 24/12-hour clocks, fractions, zones and offsets.
 */

export type Part = 'year' | 'year2' | 'month' | 'monthName' | 'day' | 'hour' | 'hour12' | 'minute' | 'second' | 'frac' | 'ampm' | 'offset' | 'zoneName' | 'skip';

export interface CompiledLayout {
  re: RegExp;
  parts: Part[];
}

const MONTH_NAMES = 'January|February|March|April|May|June|July|August|September|October|November|December';
const MONTH_ABBR = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const DAY_NAMES = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const DAY_ABBR = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';

// Longest first: the scanner takes the first token that matches at the current position.
const TOKENS: Array<[string, string, Part]> = [
  ['January', `(${MONTH_NAMES})`, 'monthName'],
  ['Monday', `(?:${DAY_NAMES})`, 'skip'],
  ['Jan', `(${MONTH_ABBR})`, 'monthName'],
  ['Mon', `(?:${DAY_ABBR})`, 'skip'],
  ['MST', '([A-Z]{2,5})', 'zoneName'],
  ['2006', '(\\d{4})', 'year'],
  ['Z07:00', '(Z|[+-]\\d{2}:\\d{2})', 'offset'],
  ['Z0700', '(Z|[+-]\\d{4})', 'offset'],
  ['Z07', '(Z|[+-]\\d{2})', 'offset'],
  ['-07:00', '([+-]\\d{2}:\\d{2})', 'offset'],
  ['-0700', '([+-]\\d{4})', 'offset'],
  ['-07', '([+-]\\d{2})', 'offset'],
  ['002', '(?:\\d{3})', 'skip'],
  ['06', '(\\d{2})', 'year2'],
  ['01', '(\\d{2})', 'month'],
  ['02', '(\\d{2})', 'day'],
  ['_2', '[ ]?(\\d{1,2})', 'day'],
  ['15', '(\\d{2})', 'hour'],
  ['03', '(\\d{2})', 'hour12'],
  ['04', '(\\d{2})', 'minute'],
  ['05', '(\\d{2})', 'second'],
  ['PM', '(AM|PM)', 'ampm'],
  ['pm', '(am|pm)', 'ampm'],
  ['1', '(\\d{1,2})', 'month'],
  ['2', '(\\d{1,2})', 'day'],
  ['3', '(\\d{1,2})', 'hour12'],
  ['4', '(\\d{1,2})', 'minute'],
  ['5', '(\\d{1,2})', 'second'],
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a Go layout; throws an Error naming the layout when it has no date/time element. */
export function compileGoLayout(layout: string): CompiledLayout {
  let src = '';
  const parts: Part[] = [];
  let i = 0;
  while (i < layout.length) {
    // Fractions: `.000` (exact digits) or `.999` (optional trailing digits), also with ','.
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && i > 0) {
      const digits = (frac[1] as string).length;
      src += (frac[1] as string).startsWith('0') ? `[.,](\\d{${digits}})` : `(?:[.,](\\d{1,9}))?`;
      parts.push('frac');
      i += frac[0].length;
      continue;
    }
    let matched = false;
    for (const [tok, re, part] of TOKENS) {
      if (layout.startsWith(tok, i)) {
        src += re;
        if (part !== 'skip') parts.push(part);
        i += tok.length;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    src += escapeRe(layout[i] as string);
    i++;
  }
  if (parts.length === 0) throw new Error(`layout ${JSON.stringify(layout)} has no date or time element (Go reference time is 2006-01-02 15:04:05)`);
  return { re: new RegExp(`^${src}$`), parts };
}

const MONTH_INDEX = new Map<string, number>();
[...MONTH_NAMES.split('|'), ...MONTH_ABBR.split('|')].forEach((m, k) => MONTH_INDEX.set(m.toLowerCase(), k % 12));

/** Month number (0-11) of an English month name or abbreviation, or undefined. */
export function monthIndex(name: string): number | undefined {
  return MONTH_INDEX.get(name.toLowerCase());
}

export interface DateParts {
  year: number | undefined;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
  /** Offset east of UTC in minutes, when the text had one. */
  offsetMin: number | undefined;
}

/** Applies a compiled layout to `text`; undefined when it does not match or a value is out of range. */
export function matchGoLayout(c: CompiledLayout, text: string): DateParts | undefined {
  const m = c.re.exec(text);
  if (!m) return undefined;
  const d: DateParts = { year: undefined, month: 0, day: 1, hour: 0, minute: 0, second: 0, micros: 0, offsetMin: undefined };
  let pm: boolean | undefined;
  for (let k = 0; k < c.parts.length; k++) {
    const v = m[k + 1];
    if (v === undefined) continue;
    switch (c.parts[k]) {
      case 'year': d.year = Number(v); break;
      case 'year2': d.year = 2000 + Number(v) - (Number(v) >= 69 ? 100 : 0); break;
      case 'month': d.month = Number(v) - 1; break;
      case 'monthName': d.month = monthIndex(v) ?? 0; break;
      case 'day': d.day = Number(v); break;
      case 'hour': d.hour = Number(v); break;
      case 'hour12': d.hour = Number(v) % 12; break;
      case 'minute': d.minute = Number(v); break;
      case 'second': d.second = Number(v); break;
      case 'frac': d.micros = Number(v.padEnd(6, '0').slice(0, 6)); break;
      case 'ampm': pm = v.toLowerCase() === 'pm'; break;
      case 'offset': d.offsetMin = parseOffset(v); break;
      case 'zoneName': if (v === 'UTC' || v === 'GMT' || v === 'Z') d.offsetMin = 0; break;
      default: break;
    }
  }
  if (pm) d.hour += 12;
  if (d.month > 11 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 || d.second > 60) return undefined;
  return d;
}

/** `Z`, `+02`, `+0200`, `+02:00` → minutes east of UTC. */
export function parseOffset(v: string): number {
  if (v === 'Z' || v === 'z') return 0;
  const sign = v.startsWith('-') ? -1 : 1;
  const digits = v.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}
