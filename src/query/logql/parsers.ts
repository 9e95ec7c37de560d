/**
 * Loki's label parsers over one line: `json` (all keys flattened with `_`, or chosen paths),
 * `logfmt`, `regexp`, `pattern` and `unpack`. Each returns a stage step that adds labels to an
 * entry and reports failures through Loki's `__error__` labels, never by throwing.
 */
import { sanitizeLabelName } from '../../core/labels.js';
import type { ExtractionParam, JsonStage, LogfmtStage } from './ast.js';
import { EntryLabels, Errors } from './entry-labels.js';
import { queryError } from './errors.js';
import { toJsRegExp } from './go-syntax.js';
import { JsonScanError, scanJsonObject } from './json-scan.js';

/** Adds parsed labels to `lbs`; may return a replacement line (unpack's `_entry`). */
export type ParserStep = (line: string, lbs: EntryLabels) => string | undefined;

export function jsonParser(stage: JsonStage): ParserStep {
  if (stage.params) {
    const paths = stage.params.map((p) => ({ label: p.label, path: parseJsonPath(p) }));
    return (line, lbs) => {
      const doc = parseJsonObject(line, lbs);
      if (doc === undefined) return undefined;
      for (const p of paths) lbs.setParsed(p.label, jsonScalarText(walk(doc, p.path)));
      return undefined;
    };
  }
  return (line, lbs) => {
    try {
      scanJsonObject(line, sanitizeCached, (name, value) => lbs.setParsed(name, value));
    } catch (e) {
      if (!(e instanceof JsonScanError)) throw e;
      lbs.setError(Errors.json, e.message);
    }
    return undefined;
  };
}

// Keys repeat from line to line: remember their sanitized form (bounded, so hostile input cannot grow it).
const sanitized = new Map<string, string>();
function sanitizeCached(k: string): string {
  let v = sanitized.get(k);
  if (v === undefined) {
    v = sanitizeLabelName(k);
    if (sanitized.size < 10_000) sanitized.set(k, v);
  }
  return v;
}

function parseJsonObject(line: string, lbs: EntryLabels): Record<string, unknown> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (e) {
    lbs.setError(Errors.json, (e as Error).message);
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    lbs.setError(Errors.json, 'Value looks like object, but can\'t find closing \'}\' symbol');
    return undefined;
  }
  return doc as Record<string, unknown>;
}

function jsonScalarText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export type PathSeg = string | number;

/** `a.b[0]["c d"]` → ['a', 'b', 0, 'c d']. Throws BAD_QUERY when malformed. */
export function parseJsonPath(p: ExtractionParam): PathSeg[] {
  const segs: PathSeg[] = [];
  const re = /\s*(?:\.?([A-Za-z0-9_$@-]+)|\[\s*(\d+)\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'([^']*)'\s*\])/y;
  let pos = 0;
  while (pos < p.path.length) {
    re.lastIndex = pos;
    const m = re.exec(p.path);
    if (!m || re.lastIndex === pos) throw queryError(`json: invalid path ${JSON.stringify(p.path)} for label ${p.label} at offset ${pos}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) segs.push(m[1]);
    else if (m[2] !== undefined) segs.push(Number(m[2]));
    else segs.push((m[3] ?? m[4]) as string);
  }
  if (segs.length === 0) throw queryError(`json: empty path for label ${p.label}`);
  return segs;
}

function walk(doc: unknown, path: PathSeg[]): unknown {
  let cur = doc;
  for (const s of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = typeof s === 'number' ? (Array.isArray(cur) ? cur[s] : undefined) : Array.isArray(cur) ? undefined : (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** logfmt as go-logfmt reads it; without --strict a malformed pair is skipped, with it parsing stops with LogfmtParserErr. */
export function logfmtParser(stage: LogfmtStage): ParserStep {
  const wanted = stage.params ? new Map(stage.params.map((p) => [p.path, p.label])) : undefined;
  return (line, lbs) => {
    const n = line.length;
    let pos = 0;
    while (pos < n) {
      while (pos < n && line.charCodeAt(pos) <= 32) pos++;
      if (pos >= n) break;
      const keyStart = pos;
      while (pos < n) {
        const c = line[pos];
        if (c === '=' || c === '"' || (c as string).charCodeAt(0) <= 32) break;
        pos++;
      }
      const key = line.slice(keyStart, pos);
      let value = '';
      let bad: string | undefined;
      if (key === '') bad = `unexpected '${line[pos]}' at offset ${pos}`;
      else if (line[pos] === '=') {
        pos++;
        if (line[pos] === '"') {
          const end = scanQuoted(line, pos);
          if (end < 0) bad = `unterminated quoted value at offset ${pos}`;
          else {
            try {
              value = JSON.parse(line.slice(pos, end + 1)) as string;
            } catch {
              value = line.slice(pos + 1, end);
            }
            pos = end + 1;
          }
        } else {
          const vs = pos;
          while (pos < n && line.charCodeAt(pos) > 32) {
            if (line[pos] === '"' || line[pos] === '=') bad = `unexpected '${line[pos]}' at offset ${pos}`;
            pos++;
          }
          value = line.slice(vs, pos);
        }
      }
      if (bad) {
        if (stage.strict) {
          lbs.setError(Errors.logfmt, `logfmt syntax error at pos ${pos + 1} : ${bad}`);
          return undefined;
        }
        while (pos < n && line.charCodeAt(pos) > 32) pos++;
        continue;
      }
      if (value === '' && !stage.keepEmpty) continue;
      if (wanted) {
        const label = wanted.get(key);
        if (label !== undefined) lbs.setParsed(label, value);
        continue;
      }
      const name = sanitizeLabelName(key);
      lbs.setParsed(name, value);
    }
    return undefined;
  };
}

/** Index of the closing quote of a quoted value starting at `start`, or -1. */
function scanQuoted(line: string, start: number): number {
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return -1;
}

/** `| regexp "(?P<name>...)"`: named groups become labels; a line that does not match adds nothing. */
export function regexpParser(pattern: string): ParserStep {
  let re: RegExp;
  try {
    re = toJsRegExp(pattern);
  } catch (e) {
    throw queryError(`regexp: invalid expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  return (line, lbs) => {
    const m = re.exec(line);
    if (m?.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) lbs.setParsed(sanitizeLabelName(k), v);
    return undefined;
  };
}

/** `| pattern "<ip> - <_> <status>"`: literals matched in order from the start of the line. */
export function patternParser(pattern: string): ParserStep {
  const re = compilePattern(pattern);
  return (line, lbs) => {
    const m = re.exec(line);
    if (m?.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) lbs.setParsed(k, v);
    return undefined;
  };
}

function compilePattern(p: string): RegExp {
  const tokens = p.split(/(<[a-zA-Z_][a-zA-Z0-9_]*>)/).filter((t) => t !== '');
  let src = '^';
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    const cap = /^<([a-zA-Z_][a-zA-Z0-9_]*)>$/.exec(t);
    if (!cap) {
      src += t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return;
    }
    const prev = tokens[i - 1];
    if (prev !== undefined && /^<[a-zA-Z_][a-zA-Z0-9_]*>$/.test(prev)) throw queryError(`pattern ${JSON.stringify(p)}: captures must be separated by literal text`);
    const last = i === tokens.length - 1;
    const body = last ? '[\\s\\S]*' : '[\\s\\S]*?';
    const name = cap[1] as string;
    if (name === '_') src += `(?:${body})`;
    else {
      if (seen.has(name)) throw queryError(`pattern ${JSON.stringify(p)}: duplicate capture <${name}>`);
      seen.add(name);
      src += `(?<${name}>${body})`;
    }
  });
  return new RegExp(src);
}

/** `| unpack`: a JSON object written by Promtail's `pack`; `_entry` becomes the line, other string keys labels. */
export function unpackParser(): ParserStep {
  return (line, lbs) => {
    const doc = parseJsonObject(line, lbs);
    if (doc === undefined) return undefined;
    let entry: string | undefined;
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v !== 'string') continue;
      if (k === '_entry') entry = v;
      else lbs.setParsed(sanitizeLabelName(k), v);
    }
    return entry;
  };
}
