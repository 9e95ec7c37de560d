/**
 * Ingest limits, checked before anything is written: per stream (label count, name and value
 * lengths, label syntax) and per entry (age, future, line size, structured metadata size, pair
 * count and shape). Lines over `max_line_size` are rejected, as Loki does by default: truncating
 * would store a line nobody sent; so are entries over Loki's structured metadata limits.
 */
import type { StreamBatch } from '../../core/events.js';
import { formatLabels, isValidLabelName } from '../../core/labels.js';
import { formatDuration, microsToRfc3339, type Micros } from '../../core/time.js';
import type { AppendRejection } from '../interfaces.js';
import type { ResolvedLogStoreConfig } from './config.js';
import { fieldsBytes, type FieldsColumn } from './fields-codec.js';

/** Rejection reasons, the `reason` label of vigil_store_rejected_entries_total. */
export type RejectReason =
  | 'bad_labels'
  | 'too_many_labels'
  | 'label_name_too_long'
  | 'label_value_too_long'
  | 'too_many_streams'
  | 'bad_entry'
  | 'too_old'
  | 'too_far_in_future'
  | 'line_too_long'
  | 'structured_metadata_too_large'
  | 'structured_metadata_too_many';

export interface CheckedStream {
  /** Entries that passed, or undefined when the whole stream was refused. */
  ts: Micros[];
  lines: string[];
  /** Structured metadata of the entries that passed (empty objects dropped); absent when none has any. */
  fields?: FieldsColumn;
  rejections: Array<AppendRejection & { why: RejectReason }>;
}

function streamProblem(s: StreamBatch, cfg: ResolvedLogStoreConfig): { why: RejectReason; code: AppendRejection['code']; text: string } | undefined {
  const names = Object.keys(s.labels);
  if (names.length === 0) return { why: 'bad_labels', code: 'BAD_REQUEST', text: 'a stream needs at least one label' };
  if (names.length > cfg.maxLabelNames)
    return { why: 'too_many_labels', code: 'LIMIT_EXCEEDED', text: `${names.length} labels, the limit is ${cfg.maxLabelNames}` };
  for (const n of names) {
    if (n.length > cfg.maxLabelNameLength)
      return { why: 'label_name_too_long', code: 'LIMIT_EXCEEDED', text: `label name of ${n.length} characters, the limit is ${cfg.maxLabelNameLength}` };
    if (!isValidLabelName(n)) return { why: 'bad_labels', code: 'BAD_REQUEST', text: `invalid label name ${JSON.stringify(n)}` };
    const v = s.labels[n];
    if (typeof v !== 'string') return { why: 'bad_labels', code: 'BAD_REQUEST', text: `label ${n} is not a string` };
    if (v.length > cfg.maxLabelValueLength)
      return { why: 'label_value_too_long', code: 'LIMIT_EXCEEDED', text: `label ${n} has a value of ${v.length} characters, the limit is ${cfg.maxLabelValueLength}` };
  }
  if (!Array.isArray(s.ts) || !Array.isArray(s.lines) || s.ts.length !== s.lines.length)
    return { why: 'bad_entry', code: 'BAD_REQUEST', text: 'ts and lines differ in length' };
  if (s.fields !== undefined && s.fields !== null && !Array.isArray(s.fields))
    return { why: 'bad_entry', code: 'BAD_REQUEST', text: 'fields is not an array' };
  return undefined;
}

/** Why one entry's fields are refused, or (when they are fine) how many pairs they have. */
function fieldsProblem(f: unknown, cfg: ResolvedLogStoreConfig): { why: RejectReason; detail: string } | number {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return { why: 'bad_entry', detail: 'structured metadata is not an object of strings' };
  let pairs = 0;
  for (const k in f) {
    const v = (f as Record<string, unknown>)[k];
    if (typeof v !== 'string') return { why: 'bad_entry', detail: `structured metadata ${JSON.stringify(k)} is not a string` };
    pairs++;
  }
  if (cfg.maxStructuredMetadataEntries > 0 && pairs > cfg.maxStructuredMetadataEntries)
    return { why: 'structured_metadata_too_many', detail: `${pairs} structured metadata pairs, the limit is ${cfg.maxStructuredMetadataEntries}` };
  if (cfg.maxStructuredMetadataSize > 0) {
    const bytes = fieldsBytes(f as Record<string, string>);
    if (bytes > cfg.maxStructuredMetadataSize)
      return { why: 'structured_metadata_too_large', detail: `structured metadata of ${bytes} bytes, the limit is ${cfg.maxStructuredMetadataSize}` };
  }
  return pairs;
}

/** Display form of labels that may be malformed (never throws). */
function describeStream(s: StreamBatch): string {
  try {
    return formatLabels(s.labels);
  } catch {
    return '{?}';
  }
}

/**
 * Splits one stream of an append into what passes and what is refused (with a reason per kind
 * naming the stream, the first offending entry index and the limit). Never throws.
 */
export function checkStream(s: StreamBatch, index: number, cfg: ResolvedLogStoreConfig, now: Micros): CheckedStream {
  const problem = streamProblem(s, cfg);
  if (problem) {
    const count = Array.isArray(s.lines) ? s.lines.length : 0;
    return {
      ts: [],
      lines: [],
      rejections: [{ stream: index, count, code: problem.code, why: problem.why, reason: `stream ${describeStream(s)}: ${problem.text}` }],
    };
  }
  const minTs = cfg.rejectOldSamplesMaxAge > 0 ? now - cfg.rejectOldSamplesMaxAge : -Infinity;
  const maxTs = now + cfg.creationGracePeriod;
  const maxLine = cfg.maxLineSize > 0 ? cfg.maxLineSize : Infinity;
  const n = s.lines.length;
  let bad: Map<RejectReason, { count: number; first: number; detail: string }> | undefined;
  let okTs: Micros[] | undefined;
  let okLines: string[] | undefined;
  // Only batches that carry fields pay for them: a normalized column of the accepted entries.
  const inFields = Array.isArray(s.fields) ? (s.fields as unknown[]) : undefined;
  let okFields: FieldsColumn | undefined;
  let anyField = false;
  for (let i = 0; i < n; i++) {
    const t = s.ts[i] as number;
    const line = s.lines[i] as string;
    let why: RejectReason | undefined;
    let detail = '';
    let f: Record<string, string> | undefined;
    if (inFields) {
      const raw = inFields[i];
      if (raw !== undefined && raw !== null) {
        const p = fieldsProblem(raw, cfg);
        if (typeof p !== 'number') {
          why = p.why;
          detail = p.detail;
        } else if (p > 0) f = raw as Record<string, string>;
      }
    }
    if (why !== undefined) {
      // fields refused (checked first: the other checks only refine an already refused entry)
    } else if (typeof line !== 'string' || !Number.isSafeInteger(t) || t < 0) {
      why = 'bad_entry';
      detail = typeof line !== 'string' ? 'line is not a string' : `timestamp ${String(t)} is not a non-negative integer of microseconds`;
    } else if (t < minTs) {
      why = 'too_old';
      detail = `timestamp ${microsToRfc3339(t)} is older than ${formatDuration(cfg.rejectOldSamplesMaxAge)}`;
    } else if (t > maxTs) {
      why = 'too_far_in_future';
      detail = `timestamp ${microsToRfc3339(t)} is more than ${formatDuration(cfg.creationGracePeriod)} in the future`;
    } else if (line.length > maxLine / 3 && Buffer.byteLength(line) > maxLine) {
      why = 'line_too_long';
      detail = `line of ${Buffer.byteLength(line)} bytes, the limit is ${maxLine}`;
    }
    if (why === undefined) {
      if (okTs) {
        okTs.push(t);
        (okLines as string[]).push(line);
      }
      if (inFields) {
        (okFields ??= []).push(f);
        if (f) anyField = true;
      }
      continue;
    }
    if (!okTs) {
      okTs = s.ts.slice(0, i);
      okLines = s.lines.slice(0, i);
    }
    bad ??= new Map();
    const b = bad.get(why);
    if (b) b.count++;
    else bad.set(why, { count: 1, first: i, detail });
  }
  const rejections: CheckedStream['rejections'] = [];
  if (bad) {
    const key = describeStream(s);
    for (const [why, b] of bad) {
      rejections.push({
        stream: index,
        count: b.count,
        code: why === 'bad_entry' ? 'BAD_REQUEST' : 'LIMIT_EXCEEDED',
        why,
        reason: `stream ${key}: ${b.count} ${b.count === 1 ? 'entry' : 'entries'} refused (${why}); first at entry ${b.first}: ${b.detail}`,
      });
    }
  }
  const out: CheckedStream = { ts: okTs ?? s.ts, lines: okLines ?? s.lines, rejections };
  if (anyField && okFields) out.fields = okFields;
  return out;
}
