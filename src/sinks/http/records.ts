/**
 * The row encoding the `http`, `file` and `console` sinks write: one JSON object per entry,
 * `{"timestamp": RFC 3339 with microseconds, "labels": {...}, "line": "...", "fields": {...}}`,
 * built as text per batch (no per-entry objects kept).
 */
import type { LogBatch } from '../../core/events.js';
import { formatLabels } from '../../core/labels.js';
import { microsToRfc3339 } from '../../core/time.js';

/** Appends one JSON text per entry to `out` (fields `{}` when the entry has none). */
export function entriesAsJson(batch: LogBatch, out: string[]): void {
  for (const s of batch.streams) {
    const labels = JSON.stringify(s.labels);
    for (let i = 0; i < s.lines.length; i++) {
      const f = s.fields?.[i];
      out.push(`{"timestamp":"${microsToRfc3339(s.ts[i] ?? 0)}","labels":${labels},"line":${JSON.stringify(s.lines[i] ?? '')},"fields":${f ? JSON.stringify(f) : '{}'}}`);
    }
  }
}

/** NDJSON text of a batch, ending with a newline ('' for an empty batch). */
export function ndjson(batch: LogBatch): string {
  const out: string[] = [];
  entriesAsJson(batch, out);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** A JSON array of the batch's entries. */
export function jsonArray(batch: LogBatch): string {
  const out: string[] = [];
  entriesAsJson(batch, out);
  return `[${out.join(',')}]`;
}

/** Raw lines, one per entry, newline-terminated (`withMeta` prefixes time and labels for reading). */
export function textLines(batch: LogBatch, withMeta: boolean): string {
  const out: string[] = [];
  for (const s of batch.streams) {
    const labels = withMeta ? formatLabels(s.labels) : '';
    for (let i = 0; i < s.lines.length; i++) {
      out.push(withMeta ? `${microsToRfc3339(s.ts[i] ?? 0)} ${labels} ${s.lines[i] ?? ''}` : (s.lines[i] ?? ''));
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
