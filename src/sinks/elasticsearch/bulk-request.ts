/**
 * Turns a LogBatch into an Elasticsearch/OpenSearch `_bulk` NDJSON body: one action line and one
 * document line per entry, remembering which entry each item is so the per-item answers can be
 * mapped back (bulk-response.ts). Entries that cannot be sent (no valid index name) are set aside
 * with a reason instead of failing the whole request.
 */
import { createHash } from 'node:crypto';
import type { LogBatch, StreamBatch } from '../../core/events.js';
import type { Micros } from '../../core/time.js';
import { sanitizeIndexName, type IndexTemplate } from './index-name.js';

/** Where an entry sits in its batch: stream index and entry index. */
export interface Position {
  stream: number;
  entry: number;
}

export interface EncodeOptions {
  /** The index (bulk mode) or data stream name template. */
  index: IndexTemplate;
  action: 'index' | 'create';
  labelsAs: 'object' | 'fields';
  parseJson: boolean;
  /** Take `_id` from this field when the entry has it. */
  idField?: string | undefined;
  deterministicIds: boolean;
}

export interface EncodedBulk {
  /** The NDJSON body (each line ends with `\n`, as `_bulk` requires). */
  body: Buffer;
  /** positions[i] is the entry of the i-th item of the response. */
  positions: Position[];
  /** True for items whose `_id` we chose (deterministic or `id_field`): a 409 on `create` means already stored. */
  ownId: boolean[];
  /** Entries not sent, with why. */
  unsendable: Array<{ position: Position; reason: string }>;
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/** `2026-11-27T15:31:08.123456Z`: ISO-8601 with all six digits of a Micros timestamp. */
export function isoMicros(ts: Micros): string {
  const sec = Math.floor(ts / 1_000_000);
  // Entries of a batch mostly share their second: format the date part once per second.
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  return `${isoPrefix}${String(ts - sec * 1_000_000).padStart(6, '0')}Z`;
}

/** A stream's identity text for the deterministic id (sorted labels, so order never matters). */
function streamKey(s: StreamBatch): string {
  const names = Object.keys(s.labels).sort();
  let k = '';
  for (const n of names) k += `${n}\u0000${s.labels[n] ?? ''}\u0001`;
  return k;
}

/**
 * The `_id` a retry of the same entry gets again: 128 bits of SHA-256 over the stream labels,
 * the timestamp and the line, base64url (22 characters, like ES's own ids in length and alphabet).
 */
export function deterministicId(labelsKey: string, ts: Micros, line: string): string {
  return createHash('sha256').update(labelsKey).update(`\u0002${ts}\u0002`).update(line).digest().subarray(0, 16).toString('base64url');
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const first = line.charCodeAt(0);
  // Cheap pre-check: JSON.parse of a plain text line throws, and exceptions are slow.
  if (first !== 0x7b && !/^\s*\{/.test(line)) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The document of one entry; `@timestamp` and `labels` are always ours (ES needs the date). */
export function buildDocument(o: Pick<EncodeOptions, 'labelsAs' | 'parseJson'>, ts: Micros, labels: Readonly<Record<string, string>>, line: string, fields: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  const doc: Record<string, unknown> = { '@timestamp': isoMicros(ts), message: line };
  if (o.labelsAs === 'object') doc['labels'] = labels;
  else for (const k in labels) if (k !== '@timestamp') doc[k] = labels[k];
  if (fields) {
    for (const k in fields) {
      if (k === '@timestamp' || (k === 'labels' && o.labelsAs === 'object')) continue;
      doc[k] = fields[k];
    }
  }
  if (o.parseJson) {
    const parsed = parseObject(line);
    if (parsed) {
      for (const k in parsed) {
        if (k === '@timestamp' || (k === 'labels' && o.labelsAs === 'object')) continue;
        doc[k] = parsed[k];
      }
    }
  }
  return doc;
}

/** Encodes `batch` as one `_bulk` body. Never throws for bad entries (they go to `unsendable`). */
export function encodeBulk(batch: LogBatch, o: EncodeOptions): EncodedBulk {
  const chunks: string[] = [];
  const positions: Position[] = [];
  const ownId: boolean[] = [];
  const unsendable: EncodedBulk['unsendable'] = [];
  const streams = batch.streams;
  for (let si = 0; si < streams.length; si++) {
    const s = streams[si] as StreamBatch;
    const key = o.deterministicIds ? streamKey(s) : '';
    // When the name depends only on the stream, sanitize it once.
    const fixed = o.index.perEntry ? undefined : sanitizeIndexName(o.index.render(0, s.labels, undefined));
    // The common document (no fields, labels as an object, no JSON merge) is written as text:
    // building and stringifying an object per entry costs about twice as much.
    const labelsJson = o.labelsAs === 'object' && !o.parseJson ? JSON.stringify(s.labels) : undefined;
    let lastIndex = '';
    let actionPrefix = '';
    for (let ei = 0; ei < s.lines.length; ei++) {
      const ts = s.ts[ei] ?? 0;
      const line = s.lines[ei] ?? '';
      const fields = s.fields?.[ei];
      const raw = o.index.perEntry ? o.index.render(ts, s.labels, fields) : undefined;
      const index = o.index.perEntry ? sanitizeIndexName(raw ?? '') : fixed;
      if (index === undefined) {
        unsendable.push({ position: { stream: si, entry: ei }, reason: `index template ${JSON.stringify(o.index.source)} gives no valid index name for this entry (got ${JSON.stringify(raw ?? o.index.render(ts, s.labels, fields))})` });
        continue;
      }
      if (index !== lastIndex || actionPrefix === '') {
        lastIndex = index;
        actionPrefix = `{"${o.action}":{"_index":${JSON.stringify(index)}`;
      }
      let id = o.idField !== undefined ? fields?.[o.idField] : undefined;
      if (id === '') id = undefined;
      if (id === undefined && o.deterministicIds) id = deterministicId(key, ts, line);
      const action = id === undefined ? `${actionPrefix}}}\n` : `${actionPrefix},"_id":${JSON.stringify(id)}}}\n`;
      const doc = labelsJson !== undefined && fields === undefined ? `{"@timestamp":"${isoMicros(ts)}","message":${JSON.stringify(line)},"labels":${labelsJson}}\n` : `${JSON.stringify(buildDocument(o, ts, s.labels, line, fields))}\n`;
      chunks.push(action, doc);
      positions.push({ stream: si, entry: ei });
      ownId.push(id !== undefined);
    }
  }
  return { body: Buffer.from(chunks.join('')), positions, ownId, unsendable };
}

/** The sub-batch of `batch` holding the entries at `positions`, grouped by stream, order kept. */
export function subBatch(batch: LogBatch, positions: ReadonlyArray<Position>): LogBatch {
  const byStream = new Map<number, StreamBatch>();
  for (const p of positions) {
    const src = batch.streams[p.stream];
    if (!src) continue;
    let s = byStream.get(p.stream);
    if (!s) {
      s = { labels: src.labels, ts: [], lines: [] };
      if (src.fields) s.fields = [];
      byStream.set(p.stream, s);
    }
    s.ts.push(src.ts[p.entry] ?? 0);
    s.lines.push(src.lines[p.entry] ?? '');
    if (s.fields) s.fields.push(src.fields?.[p.entry]);
  }
  return { streams: [...byStream.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s) };
}
