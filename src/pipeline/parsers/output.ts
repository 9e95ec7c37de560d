/**
 * What every parser shares: the error marks LogQL uses, the fields column, and regrouping the
 * entries of one stream into several when a parser promotes values to stream labels.
 */
import { Type } from '@sinclair/typebox';
import type { StreamBatch } from '../../core/events.js';
import { sanitizeLabelName, type Labels } from '../../core/labels.js';

/** LogQL's error field names and values (`| json` sets `__error__="JSONParserErr"`). */
export const ERROR_FIELD = '__error__';
export const ERROR_DETAILS_FIELD = '__error_details__';
export type ParserError = 'JSONParserErr' | 'LogfmtParserErr' | 'RegexParserErr' | 'TimestampParserErr';

/** Options shared by the json, logfmt and regex parsers (which values go where). */
export const LabelsOption = Type.Optional(
  Type.Array(Type.String({ minLength: 1 }), {
    description: 'Extracted names promoted to stream labels (keep them low-cardinality: level, service, status class). Every other extracted value goes to the entry\'s fields.',
  }),
);

/** The fields record of entry `i`, created on demand (the column too). */
export function fieldsOf(s: StreamBatch, i: number): Record<string, string> {
  let col = s.fields;
  if (!col) {
    col = new Array<Record<string, string> | undefined>(s.lines.length).fill(undefined);
    s.fields = col;
  }
  let f = col[i];
  if (!f) {
    f = {};
    col[i] = f;
  }
  return f;
}

/** Marks entry `i` as failed to parse, keeping the line; the first error of a pipeline sticks, as in LogQL. */
export function markError(s: StreamBatch, i: number, kind: ParserError, details: string): void {
  const f = fieldsOf(s, i);
  if (f[ERROR_FIELD] !== undefined) return;
  f[ERROR_FIELD] = kind;
  f[ERROR_DETAILS_FIELD] = details;
}

/**
 * Collects, for one input stream, the promoted label values of each entry and splits the stream
 * by them. Entries without promoted values stay in a stream with the input labels. Order within
 * each output stream is the input order. Empty values set no label (as in Loki).
 */
export class Regrouper {
  private readonly names: string[];
  private keys: string[] | undefined;
  private extras = new Map<string, Labels>();

  /** `names`: output label names in a fixed order (already resolved against the stream's labels). */
  constructor(names: string[]) {
    this.names = names;
  }

  /** Sets entry i's promoted values (`values[k]` for `names[k]`; undefined or '' = not set). */
  assign(i: number, n: number, values: ReadonlyArray<string | undefined>): void {
    let key = '';
    let any = false;
    for (let k = 0; k < this.names.length; k++) {
      const v = values[k];
      if (v !== undefined && v !== '') any = true;
      key += k === 0 ? (v ?? '') : `\u0001${v ?? ''}`;
    }
    if (!any) return;
    this.keys ??= new Array<string>(n).fill('');
    this.keys[i] = key;
    if (!this.extras.has(key)) {
      const l: Labels = {};
      for (let k = 0; k < this.names.length; k++) {
        const v = values[k];
        if (v !== undefined && v !== '') l[this.names[k] as string] = v;
      }
      this.extras.set(key, l);
    }
  }

  /** The output streams for input `s` (just `[s]` when nothing was promoted). Resets the regrouper. */
  finish(s: StreamBatch): StreamBatch[] {
    const keys = this.keys;
    this.keys = undefined;
    if (!keys) return [s];
    const groups = new Map<string, StreamBatch>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      let g = groups.get(key);
      if (!g) {
        const extra = this.extras.get(key);
        g = { labels: extra ? { ...s.labels, ...extra } : s.labels, ts: [], lines: [] };
        if (s.fields) g.fields = [];
        groups.set(key, g);
      }
      g.ts.push(s.ts[i] as number);
      g.lines.push(s.lines[i] as string);
      if (g.fields) g.fields.push(s.fields?.[i]);
    }
    this.extras = new Map();
    return [...groups.values()];
  }
}

/** A promoted name that collides with an existing stream label gets `_extracted`, as in Loki. */
export function promotedName(streamLabels: Labels, name: string): string {
  return Object.prototype.hasOwnProperty.call(streamLabels, name) ? `${name}_extracted` : name;
}

/**
 * Routes extracted (name, value) pairs of one entry to promoted labels or fields. One per parser;
 * `begin(stream)` per input stream, `entry(i)` per line, `put` per value, `end()` → output streams.
 */
export class Extractor {
  private readonly promote: Map<string, number>;
  private readonly promoteOrder: string[];
  /** Raw name → [sanitized name, promoted slot or -1]: one lookup per value on the hot path. */
  private readonly slots = new Map<string, [string, number]>();
  private readonly values: Array<string | undefined>;
  private regroup: Regrouper | undefined;
  private stream: StreamBatch | undefined;
  private fields: Record<string, string> | undefined;
  private i = 0;

  constructor(labels: ReadonlyArray<string>) {
    this.promoteOrder = [...new Set(labels.map((l) => sanitizeLabelName(l)))];
    this.promote = new Map(this.promoteOrder.map((n, k) => [n, k]));
    this.values = new Array<string | undefined>(this.promoteOrder.length);
  }

  begin(s: StreamBatch): void {
    this.stream = s;
    this.regroup = this.promoteOrder.length > 0 ? new Regrouper(this.promoteOrder.map((n) => promotedName(s.labels, n))) : undefined;
  }

  entry(i: number): void {
    this.i = i;
    this.fields = undefined;
    this.values.fill(undefined);
  }

  /** One extracted value; `name` is sanitized here. */
  put(name: string, value: string): void {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      const n = sanitizeLabelName(name);
      slot = [n, this.promote.get(n) ?? -1];
      if (this.slots.size < 10_000) this.slots.set(name, slot);
    }
    if (slot[1] >= 0) {
      this.values[slot[1]] = value;
      return;
    }
    this.fields ??= fieldsOf(this.stream as StreamBatch, this.i);
    this.fields[slot[0]] = value;
  }

  /** Closes the current entry (records its promoted values). */
  close(): void {
    if (this.regroup) this.regroup.assign(this.i, (this.stream as StreamBatch).lines.length, this.values);
  }

  end(): StreamBatch[] {
    const s = this.stream as StreamBatch;
    return this.regroup ? this.regroup.finish(s) : [s];
  }
}
