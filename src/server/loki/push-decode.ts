/**
 * Loki's JSON push body to decoded streams, with errors that say where:
 * `streams[2].values[5][0]: timestamp "abc" is not an integer of nanoseconds`.
 * Syntax errors refuse the whole body (with the byte offset); a bad stream or entry is
 * reported and skipped so the rest of the request is still stored.
 */
import { VigilError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';

/** Why one entry was dropped during decoding or validation. */
export interface DecodedEntryError {
  index: number;
  reason: 'invalid_entry' | 'too_far_future' | 'too_far_past';
  message: string;
}

/** One stream of a push request after decoding (JSON or protobuf), before validation. */
export interface DecodedStream {
  /** JSON path of the stream in the request, e.g. `streams[2]`. */
  where: string;
  labels: Labels;
  /** Set when the stream's labels are unusable: the whole stream is refused with this message. */
  labelError?: string;
  ts: Micros[];
  lines: string[];
  fields: Array<Record<string, string> | undefined> | undefined;
  entryErrors: DecodedEntryError[];
}

/** Loki's nanosecond timestamps (decimal int64 strings) to microseconds, flooring; undefined when not one. */
export function nanosToMicros(ns: string): Micros | undefined {
  if (!/^-?\d{1,19}$/.test(ns)) return undefined;
  const n = BigInt(ns);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  const us = n >= 0n ? n / 1000n : -((-n + 999n) / 1000n);
  return Number(us);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** JSON.parse's character position as a byte offset into the UTF-8 body. */
function syntaxError(text: string, e: Error): VigilError {
  const m = /at position (\d+)/.exec(e.message);
  if (m) {
    const pos = Number(m[1]);
    const byte = Buffer.byteLength(text.slice(0, pos));
    return new VigilError('BAD_REQUEST', `malformed JSON at byte offset ${byte}: ${e.message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  if (/Unexpected end of JSON input/.test(e.message)) {
    return new VigilError('BAD_REQUEST', `malformed JSON at byte offset ${Buffer.byteLength(text)}: unexpected end of input`);
  }
  return new VigilError('BAD_REQUEST', `malformed JSON: ${e.message}`);
}

/**
 * Decodes a JSON push body (already decompressed; invalid UTF-8 was replaced by U+FFFD when
 * the Buffer became text). Throws BAD_REQUEST when the body is not JSON or has no `streams` array.
 */
export function decodePushJson(body: Buffer): DecodedStream[] {
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw syntaxError(text, e as Error);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new VigilError('BAD_REQUEST', `body: expected a JSON object with "streams", found ${typeName(doc)}`);
  }
  const streams = (doc as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) {
    throw new VigilError('BAD_REQUEST', `streams: expected an array, found ${typeName(streams)}`);
  }
  const out: DecodedStream[] = [];
  for (let i = 0; i < streams.length; i++) out.push(decodeStream(streams[i], `streams[${i}]`));
  return out;
}

function decodeStream(s: unknown, where: string): DecodedStream {
  const d: DecodedStream = { where, labels: {}, ts: [], lines: [], fields: undefined, entryErrors: [] };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    d.labelError = `${where}: expected an object with "stream" and "values", found ${typeName(s)}`;
    return d;
  }
  const { stream, values } = s as { stream?: unknown; values?: unknown };
  if (typeof stream !== 'object' || stream === null || Array.isArray(stream)) {
    d.labelError = `${where}.stream: expected an object of label names to values, found ${typeName(stream)}`;
  } else {
    for (const [k, v] of Object.entries(stream)) {
      if (typeof v !== 'string') {
        d.labelError ??= `${where}.stream.${k}: label value must be a string, found ${typeName(v)}`;
        continue;
      }
      d.labels[k] = v;
    }
  }
  if (values === null || values === undefined) return d;
  if (!Array.isArray(values)) {
    d.labelError ??= `${where}.values: expected an array of [timestamp, line] entries, found ${typeName(values)}`;
    return d;
  }
  let fields: Array<Record<string, string> | undefined> | undefined;
  for (let j = 0; j < values.length; j++) {
    const e: unknown = values[j];
    const at = `${where}.values[${j}]`;
    if (e === null) continue; // Loki skips null entries
    const err = (message: string): void => {
      d.entryErrors.push({ index: j, reason: 'invalid_entry', message });
    };
    if (!Array.isArray(e) || e.length < 2 || e.length > 3) {
      err(`${at}: expected [timestamp, line] or [timestamp, line, {metadata}], found ${Array.isArray(e) ? `an array of ${e.length}` : typeName(e)}`);
      continue;
    }
    const [rawTs, line, meta] = e as [unknown, unknown, unknown];
    if (typeof rawTs !== 'string') {
      err(`${at}[0]: timestamp must be a string of nanoseconds, found ${typeName(rawTs)} ${preview(rawTs)}`);
      continue;
    }
    const ts = nanosToMicros(rawTs);
    if (ts === undefined) {
      err(`${at}[0]: timestamp ${preview(rawTs)} is not an integer of nanoseconds`);
      continue;
    }
    if (typeof line !== 'string') {
      err(`${at}[1]: line must be a string, found ${typeName(line)}`);
      continue;
    }
    let f: Record<string, string> | undefined;
    if (meta !== undefined) {
      if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
        err(`${at}[2]: structured metadata must be an object of strings, found ${typeName(meta)}`);
        continue;
      }
      let bad: string | undefined;
      f = {};
      for (const [k, v] of Object.entries(meta)) {
        if (typeof v !== 'string') {
          bad = `${at}[2].${k}: structured metadata value must be a string, found ${typeName(v)}`;
          break;
        }
        f[k] = v;
      }
      if (bad) {
        err(bad);
        continue;
      }
      if (Object.keys(f).length === 0) f = undefined;
    }
    d.ts.push(ts);
    d.lines.push(line);
    if (f) {
      fields ??= new Array<Record<string, string> | undefined>(d.lines.length - 1).fill(undefined);
      fields.push(f);
    } else fields?.push(undefined);
  }
  d.fields = fields;
  return d;
}
