/**
 * Bodies of the `http_server` source to entries: NDJSON (one JSON value per line), text (one
 * entry per line) or JSON (one document or an array of them). A bad line or document is reported
 * with its line number (and byte offset when known) and skipped; the rest are kept.
 */
import type { Micros } from '../../core/time.js';
import { firstInvalidUtf8, HttpSourceError } from '../shared-http/body.js';
import { compactJson, jsonSyntaxDetail, jsonTypeName, valueAtPath } from '../shared-http/json.js';
import { parseDocTime } from '../shared-http/timestamp.js';

export type Decoding = 'ndjson' | 'text' | 'json';

export interface DecodeOptions {
  decoding: Decoding;
  /** Dotted path of a document's time (ISO-8601 or epoch millis); receive time when absent or unparseable. */
  timestampField: string | undefined;
  now: Micros;
}

export interface Decoded {
  ts: Micros[];
  lines: string[];
  /** One message per refused line/document, naming where. */
  problems: string[];
}

function timeOf(doc: unknown, field: string | undefined, now: Micros): Micros {
  if (!field || typeof doc !== 'object' || doc === null || Array.isArray(doc)) return now;
  return parseDocTime(valueAtPath(doc as Record<string, unknown>, field)) ?? now;
}

/** Decodes a body (Content-Encoding already undone). Throws HttpSourceError only for a JSON body that is not JSON at all. */
export function decodeBody(body: Buffer, o: DecodeOptions): Decoded {
  const out: Decoded = { ts: [], lines: [], problems: [] };
  if (o.decoding === 'json') {
    decodeJsonDocument(body, o, out);
    return out;
  }
  let start = 0;
  let no = 0;
  while (start < body.length) {
    let nl = body.indexOf(0x0a, start);
    if (nl < 0) nl = body.length;
    no++;
    let end = nl;
    if (end > start && body[end - 1] === 0x0d) end--;
    const lineStart = start;
    start = nl + 1;
    if (end === lineStart) continue;
    const bad = firstInvalidUtf8(body.subarray(lineStart, end));
    if (bad >= 0) {
      out.problems.push(`line ${no}: invalid UTF-8 at byte offset ${lineStart + bad}`);
      continue;
    }
    const text = body.toString('utf8', lineStart, end);
    if (o.decoding === 'text') {
      out.ts.push(o.now);
      out.lines.push(text);
      continue;
    }
    if (text.trim() === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      out.problems.push(`line ${no} (byte offset ${lineStart}): not JSON: ${jsonSyntaxDetail(text, e)}`);
      continue;
    }
    out.ts.push(timeOf(doc, o.timestampField, o.now));
    out.lines.push(compactJson(text.trim()));
  }
  return out;
}

function decodeJsonDocument(body: Buffer, o: DecodeOptions, out: Decoded): void {
  const bad = firstInvalidUtf8(body);
  if (bad >= 0) throw new HttpSourceError('bad_request', `body is not valid UTF-8 at byte offset ${bad}`);
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HttpSourceError('bad_request', `body is not JSON: ${jsonSyntaxDetail(text, e)}`);
  }
  if (!Array.isArray(doc)) {
    if (typeof doc !== 'object' || doc === null) throw new HttpSourceError('bad_request', `body: expected a JSON object or an array of objects, found ${jsonTypeName(doc)}`);
    out.ts.push(timeOf(doc, o.timestampField, o.now));
    out.lines.push(compactJson(text.trim()));
    return;
  }
  for (let i = 0; i < doc.length; i++) {
    const d: unknown = doc[i];
    if (typeof d !== 'object' || d === null || Array.isArray(d)) {
      out.problems.push(`[${i}]: expected a JSON object, found ${jsonTypeName(d)}`);
      continue;
    }
    out.ts.push(timeOf(d, o.timestampField, o.now));
    out.lines.push(JSON.stringify(d));
  }
}
