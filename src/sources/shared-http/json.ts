/**
 * JSON text helpers for the push sources: documents are stored as the sender wrote them, only
 * with insignificant whitespace removed, so big integers, key order and duplicate keys survive
 * (a JSON.parse/stringify round trip would change them).
 */

/** `text` (one valid JSON value) without whitespace outside strings; the same string when already compact. */
export function compactJson(text: string): string {
  let i = 0;
  const n = text.length;
  // Fast path: find the first whitespace outside a string; most senders write compact JSON.
  let inStr = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
    } else if (c === 0x22) inStr = true;
    else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
  }
  if (i === n) return text;
  const parts: string[] = [];
  let start = 0;
  inStr = false;
  for (i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
    } else if (c === 0x22) inStr = true;
    else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      if (i > start) parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (start < n) parts.push(text.slice(start));
  return parts.join('');
}

/** A short description of a JSON value's type for error messages. */
export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** JSON.parse's message without the engine's position suffix, plus the byte offset in `text` when known. */
export function jsonSyntaxDetail(text: string, e: unknown): string {
  const msg = (e as Error).message ?? String(e);
  const m = /at position (\d+)/.exec(msg);
  const clean = msg.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '');
  if (m) return `${clean} at byte offset ${Buffer.byteLength(text.slice(0, Number(m[1])))}`;
  if (/Unexpected end of JSON input/.test(msg)) return `unexpected end of input at byte offset ${Buffer.byteLength(text)}`;
  return clean;
}

/**
 * Reads a dotted path from a parsed document: the literal key first (`"host.name": ...`, as
 * Beats-style flat documents write it), then nested objects (`{"host":{"name":...}}`).
 */
export function valueAtPath(doc: Record<string, unknown>, path: string): unknown {
  if (path in doc) return doc[path];
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A scalar as label/field text; undefined for objects, arrays, null and absent values. */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}
