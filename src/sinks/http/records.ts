/**
 * The row encoding the `http`, `file` and `console` sinks write: one JSON object per entry,
 * `{"timestamp": RFC 3339 with microseconds, "labels": {...}, "line": "...", "fields": {...}}`,
 * built as text per batch (no per-entry objects kept).
 */
import type { LogBatch } from '../../core/events.js';
import { formatLabels } from '../../core/labels.js';
import { microsToRfc3339 } from '../../core/time.js';

/**
 * Strings JSON.stringify would change (quote, backslash, control characters, surrogates); every
 * other line is emitted as `"${s}"`, which skips the builtin's per-call overhead.
 */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

const MS3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * microsToRfc3339 for consecutive timestamps: the `YYYY-MM-DDTHH:MM:SS` part is computed once per
 * second (a batch's entries mostly share it), the fraction from a table. Same text as
 * microsToRfc3339 (milliseconds always, microseconds when not zero).
 */
class Rfc3339Cache {
  private sec = Number.NaN;
  private prefix = '';

  format(us: number): string {
    const sec = Math.floor(us / 1e6);
    if (sec !== this.sec) {
      const d = new Date(sec * 1000);
      if (Number.isNaN(d.getTime())) return microsToRfc3339(us);
      this.sec = sec;
      this.prefix = d.toISOString().slice(0, -5);
    }
    const rest = us - sec * 1e6;
    const ms = Math.floor(rest / 1000);
    const frac = rest - ms * 1000;
    if (!Number.isInteger(frac)) return microsToRfc3339(us);
    return frac === 0 ? `${this.prefix}.${MS3[ms]}Z` : `${this.prefix}.${MS3[ms]}${MS3[frac]}Z`;
  }
}

/** Appends one JSON text per entry to `out` (fields `{}` when the entry has none). */
export function entriesAsJson(batch: LogBatch, out: string[]): void {
  const ts = new Rfc3339Cache();
  for (const s of batch.streams) {
    const mid = `","labels":${JSON.stringify(s.labels)},"line":`;
    for (let i = 0; i < s.lines.length; i++) {
      const f = s.fields?.[i];
      out.push(`{"timestamp":"${ts.format(s.ts[i] ?? 0)}${mid}${quote(s.lines[i] ?? '')},"fields":${f ? JSON.stringify(f) : '{}'}}`);
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
