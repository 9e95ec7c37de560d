/**
 * Checks decoded push streams against the server's limits and turns the valid part into a
 * LogBatch. Loki's rule: a bad stream or entry is refused on its own and the rest is stored;
 * only whole-request limits (stream and entry counts) refuse everything.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import { VigilError } from '../../core/errors.js';
import { formatLabels, isValidLabelName } from '../../core/labels.js';
import { microsToRfc3339, type Micros } from '../../core/time.js';
import type { DecodedStream } from './push-decode.js';

export interface PushLimits {
  maxStreamsPerPush: number;
  maxEntriesPerPush: number;
  maxFutureMicros: number;
  maxPastMicros: number;
}

/** One refused part of a push: `entries` entries were dropped for `reason`. */
export interface PushProblem {
  reason: string;
  message: string;
  entries: number;
}

export interface ValidatedPush {
  batch: LogBatch;
  /** `origins[k]` is the request path (`streams[i]`) of `batch.streams[k]`. */
  origins: string[];
  problems: PushProblem[];
}

/**
 * Validates `streams` at time `now`. Throws LIMIT_EXCEEDED (details.reason `too_many_streams`
 * or `too_many_entries`) when the request as a whole is over a limit; everything else is
 * reported per stream or entry in `problems`.
 */
export function validatePush(streams: DecodedStream[], limits: PushLimits, now: Micros): ValidatedPush {
  if (streams.length > limits.maxStreamsPerPush) {
    throw new VigilError('LIMIT_EXCEEDED', `too many streams in one push: ${streams.length}, the limit is ${limits.maxStreamsPerPush}`, { reason: 'too_many_streams' });
  }
  let total = 0;
  for (const s of streams) total += s.ts.length + s.entryErrors.length;
  if (total > limits.maxEntriesPerPush) {
    throw new VigilError('LIMIT_EXCEEDED', `too many entries in one push: ${total}, the limit is ${limits.maxEntriesPerPush}`, { reason: 'too_many_entries' });
  }
  const oldest = now - limits.maxPastMicros;
  const newest = now + limits.maxFutureMicros;
  const problems: PushProblem[] = [];
  const out: StreamBatch[] = [];
  const origins: string[] = [];
  for (const s of streams) {
    const count = s.ts.length + s.entryErrors.length;
    const labelProblem = s.labelError ?? checkLabels(s);
    if (labelProblem) {
      problems.push({ reason: 'invalid_labels', message: labelProblem, entries: count });
      continue;
    }
    for (const e of s.entryErrors) problems.push({ reason: e.reason, message: e.message, entries: 1 });
    const key = formatLabels(s.labels);
    let keep: number[] | undefined; // indices kept, only built once something is dropped
    for (let j = 0; j < s.ts.length; j++) {
      const ts = s.ts[j] as Micros;
      let problem: PushProblem | undefined;
      if (ts > newest) {
        problem = { reason: 'too_far_future', entries: 1, message: `${s.where}: entry ${j} for stream ${key} has timestamp too new: ${microsToRfc3339(ts)}, the newest accepted is ${microsToRfc3339(newest)}` };
      } else if (ts < oldest) {
        problem = { reason: 'too_far_past', entries: 1, message: `${s.where}: entry ${j} for stream ${key} has timestamp too old: ${microsToRfc3339(ts)}, the oldest accepted is ${microsToRfc3339(oldest)}` };
      }
      if (problem) {
        problems.push(problem);
        keep ??= Array.from({ length: j }, (_, k) => k);
      } else keep?.push(j);
    }
    const batch: StreamBatch = keep
      ? {
          labels: s.labels,
          ts: keep.map((k) => s.ts[k] as Micros),
          lines: keep.map((k) => s.lines[k] as string),
          ...(s.fields ? { fields: keep.map((k) => s.fields?.[k]) } : {}),
        }
      : { labels: s.labels, ts: s.ts, lines: s.lines, ...(s.fields ? { fields: s.fields } : {}) };
    if (batch.lines.length === 0) continue;
    out.push(batch);
    origins.push(s.where);
  }
  return { batch: { streams: out }, origins, problems };
}

function checkLabels(s: DecodedStream): string | undefined {
  const names = Object.keys(s.labels);
  if (names.length === 0) return `${s.where}: at least one label pair is required per stream`;
  for (const n of names) {
    if (!isValidLabelName(n)) {
      return `${s.where}: invalid label name ${JSON.stringify(n)} in stream ${formatLabels(s.labels)}: names match [a-zA-Z_][a-zA-Z0-9_]*`;
    }
  }
  return undefined;
}
