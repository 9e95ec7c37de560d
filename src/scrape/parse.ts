/**
 * The exposition parser of scrapes: Prometheus text format 0.0.4 and OpenMetrics 1.0, as
 * Prometheus's model/textparse reads them. One pass over the body string by character codes (no
 * per-line regexes); samples come out columnar, and a series' labels are parsed once and reused
 * across scrapes through a cache keyed by the series text as written.
 */
import type { Labels } from '../core/labels.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** The Accept header Prometheus sends (OpenMetrics first, text 0.0.4 as fallback). */
export const SCRAPE_ACCEPT_HEADER = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Metric family metadata as `/api/v1/metadata` reports it. */
export interface MetricMetadata {
  type: string;
  help: string;
  unit: string;
}

/** The result of one parse; arrays are aligned and hold `count` samples. */
export interface ParsedExposition {
  format: ExpositionFormat;
  count: number;
  /** The series text as written (name and label block): the cache key. */
  keys: string[];
  /** Labels including `__name__` (shared with the cache: do not mutate). */
  labels: Labels[];
  values: Float64Array;
  /** Milliseconds; NaN when the line had no timestamp. */
  timestamps: Float64Array;
  /** Metric family name → metadata, from TYPE/HELP/UNIT lines. */
  metadata: Map<string, MetricMetadata>;
}

/** A malformed exposition: the whole scrape fails with this message (as in Prometheus). */
export class ExpositionParseError extends Error {
  constructor(readonly line: number, detail: string) {
    super(`line ${line}: ${detail}`);
    this.name = 'ExpositionParseError';
  }
}

/** Which parser a response's Content-Type selects (Prometheus falls back to the text format). */
export function formatOf(contentType: string | undefined): ExpositionFormat {
  return contentType !== undefined && contentType.toLowerCase().trimStart().startsWith('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
}

const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const OM_TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isLabelChar = (c: number): boolean => isLabelStart(c) || (c >= 48 && c <= 57);

/** Go's strconv.ParseFloat as the parsers use it: decimal floats, Inf/Infinity, NaN (any case). */
export function parseGoFloat(s: string): number | undefined {
  if (s === '') return undefined;
  const n = Number(s);
  if (n === n) {
    // Number() also takes 0x/0o/0b prefixes and "Infinity" spelt one way; Go takes neither prefix.
    const c1 = s.charCodeAt(s.length > 1 && (s[0] === '+' || s[0] === '-') ? 2 : 1) | 0x20;
    if (c1 === 120 || c1 === 111 || c1 === 98) return undefined;
    return n;
  }
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  const body = l[0] === '+' || l[0] === '-' ? l.slice(1) : l;
  if (body === 'inf' || body === 'infinity') return l[0] === '-' ? -Infinity : Infinity;
  return undefined;
}

function unescapeHelp(s: string, om: boolean): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === 'n') { out += '\n'; i++; continue; }
      if (n === '\\') { out += '\\'; i++; continue; }
      if (om && n === '"') { out += '"'; i++; continue; }
    }
    out += c;
  }
  return out;
}

/**
 * Parses a whole exposition. Throws ExpositionParseError (with the 1-based line) on the first bad
 * line, on a missing `# EOF` in OpenMetrics, or on data after it. `cache` (series text → labels)
 * is read and filled so unchanged series cost one Map lookup per scrape.
 */
export function parseExposition(body: string, format: ExpositionFormat, cache: Map<string, Labels> = new Map()): ParsedExposition {
  const om = format === 'openmetrics';
  const keys: string[] = [];
  const labels: Labels[] = [];
  let values = new Float64Array(256);
  let timestamps = new Float64Array(256);
  const metadata = new Map<string, MetricMetadata>();
  const meta = (name: string): MetricMetadata => {
    let m = metadata.get(name);
    if (!m) metadata.set(name, (m = { type: 'unknown', help: '', unit: '' }));
    return m;
  };
  let count = 0;
  let lineNo = 0;
  let pos = 0;
  let sawEof = false;
  const len = body.length;
  while (pos < len) {
    lineNo++;
    let end = body.indexOf('\n', pos);
    if (end < 0) end = len;
    let lineEnd = end;
    if (lineEnd > pos && body.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const start = pos;
    pos = end + 1;
    if (sawEof) throw new ExpositionParseError(lineNo, 'unexpected data after # EOF');
    let i = start;
    if (!om) while (i < lineEnd && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    if (i === lineEnd) {
      if (om) throw new ExpositionParseError(lineNo, 'unexpected empty line');
      continue;
    }
    const fail = (detail: string): never => {
      throw new ExpositionParseError(lineNo, `${detail} in ${JSON.stringify(body.slice(start, lineEnd).slice(0, 200))}`);
    };
    if (body.charCodeAt(i) === 35 /* # */) {
      const text = body.slice(i, lineEnd);
      if (om && text === '# EOF') {
        sawEof = true;
        continue;
      }
      const m = /^#[ \t]+(HELP|TYPE|UNIT)[ \t]+([^ \t]+)(?:[ \t](.*))?$/.exec(text);
      if (!m) {
        if (om) fail('invalid comment (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)');
        continue;
      }
      const [, kw, name = '', rest = ''] = m;
      if (!isNameStart(name.charCodeAt(0)) || ![...name].every((ch) => isNameChar(ch.charCodeAt(0)))) fail(`invalid metric name ${JSON.stringify(name)}`);
      if (kw === 'TYPE') {
        const t = rest.trim();
        if (!(om ? OM_TYPES : TEXT_TYPES).has(t)) fail(`invalid metric type ${JSON.stringify(t)}`);
        meta(name).type = t === 'untyped' ? 'unknown' : t;
      } else if (kw === 'HELP') meta(name).help = unescapeHelp(om ? rest : rest.trimStart(), om);
      else if (om) meta(name).unit = rest;
      else fail('UNIT is an OpenMetrics comment');
      continue;
    }
    // Sample line: name [{labels}] value [timestamp] [# exemplar]
    const nameStart = i;
    if (!isNameStart(body.charCodeAt(i))) fail('expected a metric name');
    while (i < lineEnd && isNameChar(body.charCodeAt(i))) i++;
    const nameEnd = i;
    if (!om) while (i < lineEnd && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    let keyEnd = nameEnd;
    let lbls: Labels | undefined;
    if (body.charCodeAt(i) !== 123) i = nameEnd;
    if (body.charCodeAt(i) === 123 /* { */) {
      const close = scanLabelBlock(body, i, lineEnd, om);
      if (close < 0) fail('unterminated label set');
      keyEnd = close + 1;
      const key = body.slice(nameStart, keyEnd);
      lbls = cache.get(key);
      if (!lbls) {
        const parsed = parseLabelBlock(body, i + 1, close, om);
        if (typeof parsed === 'string') return fail(parsed);
        parsed.__name__ = body.slice(nameStart, nameEnd);
        lbls = parsed;
        cache.set(key, lbls);
      }
      i = close + 1;
    } else {
      const key = body.slice(nameStart, nameEnd);
      lbls = cache.get(key);
      if (!lbls) cache.set(key, (lbls = { __name__: key }));
    }
    if (i >= lineEnd || (body.charCodeAt(i) !== 32 && body.charCodeAt(i) !== 9)) fail('expected a space and a value after the series');
    while (i < lineEnd && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    let j = i;
    while (j < lineEnd && body.charCodeAt(j) !== 32 && body.charCodeAt(j) !== 9) j++;
    const value = parseGoFloat(body.slice(i, j));
    if (value === undefined) fail(`invalid value ${JSON.stringify(body.slice(i, j))}`);
    i = j;
    while (i < lineEnd && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    let ts = NaN;
    if (i < lineEnd && body.charCodeAt(i) !== 35) {
      j = i;
      while (j < lineEnd && body.charCodeAt(j) !== 32 && body.charCodeAt(j) !== 9) j++;
      const tsText = body.slice(i, j);
      if (om) {
        const s = parseGoFloat(tsText);
        if (s === undefined || !Number.isFinite(s)) fail(`invalid timestamp ${JSON.stringify(tsText)}`);
        ts = Math.trunc((s as number) * 1000);
      } else {
        if (!/^-?\d+$/.test(tsText)) fail(`invalid timestamp ${JSON.stringify(tsText)}`);
        ts = Number(tsText);
      }
      i = j;
      while (i < lineEnd && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    }
    if (i < lineEnd) {
      // Only an OpenMetrics exemplar may follow; it is validated loosely and dropped.
      if (!om || body.charCodeAt(i) !== 35) fail(`unexpected ${JSON.stringify(body.slice(i, lineEnd))} after the value`);
    }
    if (count === values.length) {
      const nv = new Float64Array(count * 2);
      nv.set(values);
      values = nv;
      const nt = new Float64Array(count * 2);
      nt.set(timestamps);
      timestamps = nt;
    }
    keys.push(body.slice(nameStart, keyEnd));
    labels.push(lbls);
    values[count] = value as number;
    timestamps[count] = ts;
    count++;
  }
  if (om && !sawEof) throw new ExpositionParseError(lineNo, 'data does not end with # EOF');
  return { format, count, keys, labels, values: values.subarray(0, count), timestamps: timestamps.subarray(0, count), metadata };
}

/** Index of the `}` closing the label block opened at `open`, skipping quoted values; -1 if none. */
function scanLabelBlock(body: string, open: number, lineEnd: number, _om: boolean): number {
  let inQuote = false;
  for (let i = open + 1; i < lineEnd; i++) {
    const c = body.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 125) return i;
  }
  return -1;
}

/** Parses `a="x",b="y"` between `from` and `to` (exclusive); a string is an error message. */
function parseLabelBlock(body: string, from: number, to: number, om: boolean): Labels | string {
  const out: Labels = {};
  let i = from;
  const skipWs = (): void => {
    if (!om) while (i < to && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
  };
  skipWs();
  while (i < to) {
    const ns = i;
    if (!isLabelStart(body.charCodeAt(i))) return `invalid label name at ${JSON.stringify(body.slice(i, to))}`;
    while (i < to && isLabelChar(body.charCodeAt(i))) i++;
    const name = body.slice(ns, i);
    skipWs();
    if (body.charCodeAt(i) !== 61) return `expected "=" after label name ${JSON.stringify(name)}`;
    i++;
    skipWs();
    if (body.charCodeAt(i) !== 34) return `expected a quoted value for label ${JSON.stringify(name)}`;
    i++;
    let value = '';
    let seg = i;
    for (;;) {
      if (i >= to) return `unterminated value of label ${JSON.stringify(name)}`;
      const c = body.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        value += body.slice(seg, i);
        const n = body[i + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else if (om) return `invalid escape sequence "\\${n ?? ''}" in label ${JSON.stringify(name)}`;
        else value += `\\${n ?? ''}`;
        i += 2;
        seg = i;
        continue;
      }
      i++;
    }
    value += body.slice(seg, i);
    i++;
    if (name === '__name__') return 'label name "__name__" is reserved';
    if (Object.prototype.hasOwnProperty.call(out, name)) return `duplicate label name ${JSON.stringify(name)}`;
    out[name] = value;
    skipWs();
    if (i < to) {
      if (body.charCodeAt(i) !== 44) return `expected "," or "}" after the value of label ${JSON.stringify(name)}`;
      i++;
      skipWs();
    }
  }
  return out;
}
