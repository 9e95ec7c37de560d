/**
 * Elasticsearch's `_bulk` NDJSON body to a LogBatch and the per-item results ES clients expect.
 * `index` and `create` are stored (the source document, compacted, is the line); `update` and
 * `delete` get a per-item error without failing the rest; a source line that is not a JSON object
 * gets ES's `mapper_parsing_exception` naming its line. A malformed action line fails the whole
 * request, as in Elasticsearch, because the pairing of the lines after it is unknown.
 */
import { randomBytes } from 'node:crypto';
import type { LogBatch, StreamBatch } from '../../core/events.js';
import { sanitizeLabelName, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import { firstInvalidUtf8, HttpSourceError } from '../shared-http/body.js';
import { compactJson, jsonSyntaxDetail, jsonTypeName, scalarText, valueAtPath } from '../shared-http/json.js';
import { docTime } from '../shared-http/timestamp.js';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

/** One item of the bulk answer, in request order. */
export interface BulkItem {
  action: BulkAction;
  index: string;
  id: string;
  status: number;
  error?: { type: string; reason: string };
  /** Sequence number, set for stored documents. */
  seqNo?: number;
}

export interface BulkOptions {
  /** From the URL (`/<index>/_bulk`); used when an action names no `_index`. */
  defaultIndex: string | undefined;
  labels: Labels;
  /** Dotted document paths promoted to labels (`host.name` → label `host_name`). */
  labelFields: ReadonlyArray<string>;
  now: Micros;
  /** Next `_seq_no` to hand out; advanced by the number of stored documents. */
  seqNo: number;
}

export interface ParsedBulk {
  batch: LogBatch;
  items: BulkItem[];
  /** Entries in `batch`. */
  accepted: number;
  /** Bytes of stored lines. */
  bytes: number;
}

const TIME_FIELDS = ['@timestamp', 'timestamp', 'time'];
const ACTIONS = new Set<string>(['index', 'create', 'update', 'delete']);

/** A 20-character id like Elasticsearch's auto-generated ones. */
function autoId(): string {
  return randomBytes(15).toString('base64url');
}

function malformedAction(line: number, detail: string): HttpSourceError {
  return new HttpSourceError('bad_request', `Malformed action/metadata line [${line}], ${detail}`);
}

interface Meta {
  action: BulkAction;
  index: string | undefined;
  id: string | undefined;
}

function parseAction(text: string, line: number): Meta {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw malformedAction(line, `not JSON: ${jsonSyntaxDetail(text, e)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformedAction(line, `expected START_OBJECT but found ${jsonTypeName(doc)}`);
  const keys = Object.keys(doc);
  const action = keys[0];
  if (keys.length !== 1 || action === undefined || !ACTIONS.has(action)) {
    throw malformedAction(line, `expected one of [index, create, update, delete] but found [${keys.join(', ')}]`);
  }
  const meta: unknown = (doc as Record<string, unknown>)[action];
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw malformedAction(line, `expected an object after [${action}] but found ${jsonTypeName(meta)}`);
  const m = meta as Record<string, unknown>;
  const index = m['_index'];
  const id = m['_id'];
  if (index !== undefined && typeof index !== 'string') throw malformedAction(line, `[_index] must be a string, found ${jsonTypeName(index)}`);
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') throw malformedAction(line, `[_id] must be a string, found ${jsonTypeName(id)}`);
  return { action: action as BulkAction, index, id: id === undefined ? undefined : String(id) };
}

/** Splits `body` into lines (without `\n` or a trailing `\r`), keeping 1-based line numbers. */
function* lines(body: Buffer): Generator<{ no: number; start: number; end: number }> {
  let start = 0;
  let no = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    const next = end < 0 ? body.length : end + 1;
    if (end < 0) end = body.length;
    no++;
    let e = end;
    if (e > start && body[e - 1] === 0x0d) e--;
    yield { no, start, end: e };
    start = next;
  }
}

function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/**
 * Parses a decoded `_bulk` body. Throws HttpSourceError (400) for a malformed action line or an
 * action whose source line is missing; everything else is reported per item.
 */
export function parseBulk(body: Buffer, opts: BulkOptions): ParsedBulk {
  const items: BulkItem[] = [];
  const streams = new Map<string, StreamBatch>();
  let accepted = 0;
  let bytes = 0;
  const it = lines(body);
  for (let r = it.next(); !r.done; r = it.next()) {
    const { no, start, end } = r.value;
    if (isBlank(body, start, end)) continue; // rsyslog writes a blank line after each document
    const bad = firstInvalidUtf8(body.subarray(start, end));
    if (bad >= 0) throw malformedAction(no, `invalid UTF-8 at byte offset ${start + bad}`);
    const meta = parseAction(body.toString('utf8', start, end), no);
    const index = meta.index ?? opts.defaultIndex;
    if (meta.action === 'delete') {
      items.push({ action: 'delete', index: index ?? '', id: meta.id ?? '', status: 400, error: { type: 'illegal_argument_exception', reason: `line ${no}: delete is not supported: Vigil stores logs append-only` } });
      continue;
    }
    const src = it.next();
    if (src.done) throw new HttpSourceError('bad_request', `line ${no}: [${meta.action}] action is missing its source line; the bulk request must end with a newline`);
    const s = src.value;
    const id = meta.id ?? autoId();
    if (meta.action === 'update') {
      items.push({ action: 'update', index: index ?? '', id, status: 400, error: { type: 'illegal_argument_exception', reason: `line ${no}: update is not supported: Vigil stores logs append-only` } });
      continue;
    }
    const fail = (type: string, reason: string): void => {
      items.push({ action: meta.action, index: index ?? '', id, status: 400, error: { type, reason } });
    };
    if (index === undefined || index === '') {
      fail('action_request_validation_exception', `Validation Failed: 1: index is missing (line ${no});`);
      continue;
    }
    const badSrc = firstInvalidUtf8(body.subarray(s.start, s.end));
    if (badSrc >= 0) {
      fail('mapper_parsing_exception', `failed to parse: line ${s.no} is not valid UTF-8 at byte offset ${s.start + badSrc}`);
      continue;
    }
    const text = body.toString('utf8', s.start, s.end);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      fail('mapper_parsing_exception', `failed to parse: line ${s.no} is not JSON: ${jsonSyntaxDetail(text, e)}`);
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      fail('mapper_parsing_exception', `failed to parse: line ${s.no} is not a JSON object but ${jsonTypeName(doc)}`);
      continue;
    }
    const d = doc as Record<string, unknown>;
    let key = index;
    const extra: Array<[string, string]> = [];
    for (const path of opts.labelFields) {
      const v = scalarText(valueAtPath(d, path));
      if (v === undefined || v === '') continue;
      extra.push([sanitizeLabelName(path), v]);
      key += `\u0000${path}\u0001${v}`;
    }
    let stream = streams.get(key);
    if (!stream) {
      const labels: Labels = { ...opts.labels };
      for (const [k, v] of extra) labels[k] = v;
      labels['index'] = index;
      stream = { labels, ts: [], lines: [] };
      streams.set(key, stream);
    }
    const line = compactJson(text);
    stream.ts.push(docTime(d, TIME_FIELDS, opts.now));
    stream.lines.push(line);
    accepted++;
    bytes += line.length;
    items.push({ action: meta.action, index, id, status: 201, seqNo: opts.seqNo++ });
  }
  return { batch: { streams: [...streams.values()] }, items, accepted, bytes };
}

/** The bulk answer body, in Elasticsearch 8's shape. */
export function bulkResponse(items: ReadonlyArray<BulkItem>, tookMs: number): string {
  let errors = false;
  const out = items.map((it) => {
    if (it.error) {
      errors = true;
      return { [it.action]: { _index: it.index, _id: it.id, status: it.status, error: { type: it.error.type, reason: it.error.reason } } };
    }
    return {
      [it.action]: {
        _index: it.index, _id: it.id, _version: 1, result: 'created',
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: it.seqNo ?? 0, _primary_term: 1, status: it.status,
      },
    };
  });
  return JSON.stringify({ took: tookMs, errors, items: out });
}
