/**
 * The narrow interfaces between the store and its users. `query/` and `server/` see only these;
 * the embedded store (src/store/logs/) implements them, and so will ClickHouse/Loki back ends later.
 */
import type { LogBatch } from '../core/events.js';
import type { LabelMatcher, Labels } from '../core/labels.js';
import type { Micros } from '../core/time.js';

export const DEFAULT_TENANT = 'fake'; // Loki's name for the tenant of a single-tenant install

/** Why some entries of an append were refused; the rest of the batch was stored. */
export interface AppendRejection {
  /** Index of the stream in the appended batch. */
  stream: number;
  /** Entries of that stream refused (all of them when the whole stream was refused). */
  count: number;
  code: 'LIMIT_EXCEEDED' | 'BAD_REQUEST';
  /** What and where, e.g. `stream {app="x"}: 31 labels, the limit is 30`. */
  reason: string;
}

export interface AppendResult {
  /** Entries durably written (in the write-ahead log, fsynced). */
  accepted: number;
  rejected: AppendRejection[];
}

/**
 * Takes log batches. The promise resolves only once the accepted entries are durable (in the
 * fsynced write-ahead log): callers acknowledge upstream (advance a checkpoint, answer an HTTP
 * push) only after it resolves. It rejects only when nothing of the batch was made durable
 * (disk full, store closed); per-stream refusals (limits, bad labels) are in the result instead.
 */
export interface LogAppender {
  append(tenant: string, batch: LogBatch): Promise<AppendResult>;
}

/** A line filter pushed down to the store (`|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"`). */
export interface LineFilter {
  op: '|=' | '!=' | '|~' | '!~';
  value: string;
}

export interface LogSelect {
  tenant: string;
  matchers: LabelMatcher[];
  /** Inclusive start, exclusive end, microseconds. */
  start: Micros;
  end: Micros;
  direction: 'forward' | 'backward';
  /**
   * `time`: entries across all matched streams are yielded in global time order of `direction`
   * (ties broken by stream key), lazily, so a consumer that stops early pays little (log queries).
   * `stream`: each yielded batch holds consecutive entries of one stream in `direction` order;
   * batches of different streams may come in any interleaving (metric queries).
   */
  order: 'time' | 'stream';
  /** Applied by the store (with bloom filters to skip chunks) before anything is yielded. */
  lineFilters?: LineFilter[];
  /**
   * When true and there are no line filters, yielded `lines` are empty strings and the store reads
   * only timestamps (count_over_time, rate; not bytes_over_time or anything parsing lines).
   */
  skipLines?: boolean;
  signal?: AbortSignal;
}

/** Entries of one stream, columnar; `ts` in microseconds. */
export interface SelectedEntries {
  labels: Labels;
  /** Canonical stream key (formatLabels of labels). */
  key: string;
  ts: Micros[];
  lines: string[];
  /** Structured metadata per entry (absent when no entry of the batch has any). */
  fields?: Array<Record<string, string> | undefined>;
}

export interface StreamInfo {
  labels: Labels;
  key: string;
}

/** Reads logs. Every method respects tenant isolation and the time range. */
export interface LogQuerier {
  select(q: LogSelect): AsyncIterable<SelectedEntries>;
  /** Streams with at least one entry (or chunk) overlapping [start, end) and matching every matcher set given (any of the sets when several). */
  series(tenant: string, matcherSets: LabelMatcher[][], start: Micros, end: Micros): Promise<StreamInfo[]>;
  labelNames(tenant: string, start: Micros, end: Micros, matchers?: LabelMatcher[]): Promise<string[]>;
  labelValues(tenant: string, name: string, start: Micros, end: Micros, matchers?: LabelMatcher[]): Promise<string[]>;
}

/** Sizes the store reports for /metrics. */
export interface LogStoreStats {
  streams: number;
  chunks: number;
  chunkBytes: number;
  walBytes: number;
  headEntries: number;
}

/** What was durably appended, as it happens (live tail follows appends, as Loki's ingester tailer does). */
export interface AppendFeed {
  /** `listener` gets each batch of `tenant` after it is durable (refused streams left out); returns an unsubscribe function. */
  subscribe(tenant: string, listener: (batch: LogBatch) => void): () => void;
}
