/**
 * Turns the JSON objects `journalctl -o json` prints into columnar stream batches: the entry's own
 * time (`__REALTIME_TIMESTAMP`, already microseconds), MESSAGE as the line, a few low-cardinality
 * fields as labels and the chosen rest as structured fields. Journal values come as a string, as an
 * array of byte values (binary or non-UTF-8 data), as an array of such values (a field set more
 * than once) or as null (a value journalctl did not print); all are decoded here and nowhere else.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import { levelName } from '../syslog/parse.js';

/** Label name → journal field, used when the config names no `labels_from`. */
export const DEFAULT_LABELS_FROM: Readonly<Record<string, string>> = {
  unit: '_SYSTEMD_UNIT',
  host: '_HOSTNAME',
  syslog_identifier: 'SYSLOG_IDENTIFIER',
};

/** Journal fields kept as structured fields when the config names no `fields`. */
export const DEFAULT_FIELDS: readonly string[] = [
  '_PID', '_UID', '_COMM', '_TRANSPORT', '_BOOT_ID', 'CODE_FILE', 'CODE_LINE', 'CODE_FUNC', 'ERRNO',
];

/** Fields that are the entry itself (line, time, position), never copied into `fields`. */
const OWN_FIELDS = new Set(['MESSAGE', 'PRIORITY', '__CURSOR', '__REALTIME_TIMESTAMP', '__MONOTONIC_TIMESTAMP', '__SEQNUM', '__SEQNUM_ID']);

/**
 * Decodes one journal value to text. Byte arrays are decoded as UTF-8 with U+FFFD for invalid
 * sequences; a multi-valued field joins its values with newlines. Returns undefined for null or
 * anything that is not a journal value (a byte outside 0..255, an object, a number).
 */
export function decodeJournalValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return '';
  if (typeof v[0] === 'number') {
    for (const b of v) if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return undefined;
    return Buffer.from(v as number[]).toString('utf8');
  }
  const parts: string[] = [];
  for (const item of v) {
    // A nested array of numbers is one binary value; deeper nesting is not something journalctl prints.
    if (Array.isArray(item) && item.length > 0 && typeof item[0] !== 'number') return undefined;
    const s = decodeJournalValue(item);
    if (s !== undefined) parts.push(s);
  }
  return parts.join('\n');
}

export interface EntryMapperOptions {
  /** Static labels of every entry. */
  labels: Labels;
  /** Label name → journal field. */
  labelsFrom: Record<string, string>;
  /** Journal fields kept as structured fields; `['*']` keeps every field not otherwise used. */
  fields: readonly string[];
}

/** Why an entry could not be taken; the caller counts and logs it with its position. */
export type EntryProblem = 'not_an_object' | 'no_cursor' | 'bad_timestamp';

interface Column extends StreamBatch {
  fields: Array<Record<string, string> | undefined>;
}

/**
 * Accumulates entries into per-stream columns until `take` hands them out as one batch. One per
 * source; synchronous. `add` returns a problem instead of throwing; an entry with a bad timestamp
 * is still taken (stamped `now`), since dropping it would lose the message.
 */
export class EntryMapper {
  private readonly labelEntries: Array<[string, string]>;
  private readonly allFields: boolean;
  private readonly fieldList: string[];
  private readonly labelFields: Set<string>;
  private columns = new Map<string, Column>();
  /** Entries and line bytes (UTF-16 length, a cheap bound) held since the last `take`. */
  count = 0;
  bytes = 0;
  /** Cursor of the last entry added (the position to acknowledge once this batch is durable). */
  lastCursor: string | undefined;

  constructor(private readonly opts: EntryMapperOptions) {
    this.labelEntries = Object.entries(opts.labelsFrom);
    this.allFields = opts.fields.includes('*');
    this.fieldList = opts.fields.filter((f) => f !== '*');
    this.labelFields = new Set(Object.values(opts.labelsFrom));
  }

  /** Adds one parsed `journalctl -o json` object; `now` stamps entries without a usable time. */
  add(obj: unknown, now: Micros): EntryProblem | undefined {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not_an_object';
    const e = obj as Record<string, unknown>;
    const cursor = e['__CURSOR'];
    let problem: EntryProblem | undefined;
    if (typeof cursor === 'string' && cursor.length > 0) this.lastCursor = cursor;
    else problem = 'no_cursor';

    const rt = e['__REALTIME_TIMESTAMP'];
    let ts = typeof rt === 'string' && /^[0-9]{1,17}$/.test(rt) ? Number(rt) : NaN;
    if (!Number.isSafeInteger(ts)) {
      ts = now;
      problem ??= 'bad_timestamp';
    }
    const line = decodeJournalValue(e['MESSAGE']) ?? '';

    const labels: Labels = { ...this.opts.labels };
    let key = '';
    for (const [name, field] of this.labelEntries) {
      const v = decodeJournalValue(e[field]);
      // A multi-valued field as a label would make a stream per combination: keep the first value.
      const first = v === undefined ? undefined : v.split('\n', 1)[0];
      if (first) {
        labels[name] = first;
        key += `${name}\u0000${first}\u0001`;
      }
    }
    const pri = decodeJournalValue(e['PRIORITY']);
    if (pri !== undefined && /^[0-7]$/.test(pri)) {
      const level = levelName(Number(pri));
      labels['level'] = level;
      key += `level\u0000${level}`;
    }

    let fields: Record<string, string> | undefined;
    if (this.allFields) {
      for (const name of Object.keys(e)) {
        if (OWN_FIELDS.has(name) || this.labelFields.has(name) || name.startsWith('__')) continue;
        const v = decodeJournalValue(e[name]);
        if (v !== undefined) (fields ??= {})[name] = v;
      }
    }
    for (const name of this.fieldList) {
      const v = decodeJournalValue(e[name]);
      if (v !== undefined) (fields ??= {})[name] = v;
    }

    let col = this.columns.get(key);
    if (!col) {
      col = { labels, ts: [], lines: [], fields: [] };
      this.columns.set(key, col);
    }
    col.ts.push(ts);
    col.lines.push(line);
    col.fields.push(fields);
    this.count++;
    this.bytes += line.length;
    return problem;
  }

  /** Hands out everything held as one batch (with the cursor of its last entry) and starts over. */
  take(): { batch: LogBatch; entries: number; bytes: number; cursor: string | undefined } {
    const streams: StreamBatch[] = [];
    for (const c of this.columns.values()) {
      const s: StreamBatch = { labels: c.labels, ts: c.ts, lines: c.lines };
      if (c.fields.some((f) => f !== undefined)) s.fields = c.fields;
      streams.push(s);
    }
    const out = { batch: { streams }, entries: this.count, bytes: this.bytes, cursor: this.lastCursor };
    this.columns = new Map();
    this.count = 0;
    this.bytes = 0;
    return out;
  }

  /** Forgets what is held (the source re-reads it from its acknowledged cursor). */
  clear(): void {
    this.columns = new Map();
    this.count = 0;
    this.bytes = 0;
    this.lastCursor = undefined;
  }
}
