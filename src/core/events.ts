import type { Labels } from './labels.js';
import type { Micros } from './time.js';

/**
 * The entries of one stream in a batch, columnar: `ts[i]`, `lines[i]` and `fields?.[i]` describe
 * entry i. Pipelines move these in batches, never one record at a time through promises.
 * Entries within one stream batch are usually, but not necessarily, in time order.
 */
export interface StreamBatch {
  labels: Labels;
  ts: Micros[];
  lines: string[];
  /** Structured metadata per entry (not indexed as a stream): trace_id, user_id, parse errors. */
  fields?: Array<Record<string, string> | undefined>;
}

/** A batch of log entries grouped by stream, as Loki's push API groups them. */
export interface LogBatch {
  streams: StreamBatch[];
}

/** One log record; used at edges (tests, CLI output) where a row view is handier than columns. */
export interface LogRecord {
  ts: Micros;
  labels: Labels;
  line: string;
  fields?: Record<string, string>;
}

/** Number of entries in a batch. */
export function batchSize(batch: LogBatch): number {
  let n = 0;
  for (const s of batch.streams) n += s.lines.length;
  return n;
}

/** Total bytes of the lines of a batch (UTF-8). */
export function batchBytes(batch: LogBatch): number {
  let n = 0;
  for (const s of batch.streams) for (const l of s.lines) n += Buffer.byteLength(l);
  return n;
}

/** Groups row records into a batch by stream labels, keeping their order within each stream. */
export function recordsToBatch(records: ReadonlyArray<LogRecord>): LogBatch {
  const byKey = new Map<string, StreamBatch>();
  for (const r of records) {
    const key = JSON.stringify(Object.entries(r.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let s = byKey.get(key);
    if (!s) {
      s = { labels: r.labels, ts: [], lines: [] };
      byKey.set(key, s);
    }
    s.ts.push(r.ts);
    s.lines.push(r.line);
    if (r.fields) {
      s.fields ??= new Array<Record<string, string> | undefined>(s.lines.length - 1).fill(undefined);
      s.fields.push(r.fields);
    } else if (s.fields) s.fields.push(undefined);
  }
  return { streams: [...byKey.values()] };
}

/** Flattens a batch into row records (for tests and display). */
export function batchToRecords(batch: LogBatch): LogRecord[] {
  const out: LogRecord[] = [];
  for (const s of batch.streams) {
    for (let i = 0; i < s.lines.length; i++) {
      const f = s.fields?.[i];
      const r: LogRecord = { ts: s.ts[i] as Micros, labels: s.labels, line: s.lines[i] as string };
      if (f) r.fields = f;
      out.push(r);
    }
  }
  return out;
}
