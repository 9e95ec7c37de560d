/**
 * Log queries (`{app="x"} |= "err" | json`): entries of [start, end) in `direction` order,
 * through the pipeline, at most `limit` across all streams, grouped into streams by their final
 * label set and sorted by labels as Loki's result is.
 */
import { microsToNanosString, type Micros } from '../../core/time.js';
import type { LogQuerier } from '../../store/interfaces.js';
import type { LogSelectorExpr } from './ast.js';
import { compilePipeline, pushdownLineFilters, type ProcessedGroup } from './pipeline.js';

export interface LokiStreamResult {
  stream: Record<string, string>;
  values: Array<[string, string]>;
}

export interface LogQueryParams {
  tenant: string;
  start: Micros;
  end: Micros;
  limit: number;
  direction: 'forward' | 'backward';
  /** Loki's `interval`: return only entries at least this far apart (across all streams). */
  interval?: Micros | undefined;
  signal?: AbortSignal | undefined;
}

/** Runs a log query; stops reading the store as soon as `limit` entries are collected. */
export async function evalLogQuery(
  querier: LogQuerier,
  e: LogSelectorExpr,
  p: LogQueryParams,
  stats: { bytes: number; lines: number; postFilterLines: number },
): Promise<LokiStreamResult[]> {
  const pipeline = compilePipeline(e.stages);
  const streams = new Map<string, LokiStreamResult>();
  const fwd = p.direction === 'forward';
  let count = 0;
  let lastKept: Micros | undefined;
  if (p.limit <= 0) return [];
  const iter = querier.select({
    tenant: p.tenant,
    matchers: e.matchers,
    start: p.start,
    end: p.end,
    direction: p.direction,
    order: 'time',
    lineFilters: pushdownLineFilters(e),
    signal: p.signal,
  });
  outer: for await (const b of iter) {
    if (p.signal?.aborted) throw p.signal.reason;
    stats.lines += b.lines.length;
    for (const l of b.lines) stats.bytes += Buffer.byteLength(l);
    const groups = pipeline.batch(b.labels, b.key, b.ts, b.lines, b.fields);
    // Entries of one store batch are in time order; with several output groups, walk them merged.
    const pos = new Array<number>(groups.length).fill(0);
    for (;;) {
      let gi = -1;
      for (let k = 0; k < groups.length; k++) {
        const g = groups[k] as ProcessedGroup;
        const i = pos[k] as number;
        if (i >= g.ts.length) continue;
        if (gi < 0) gi = k;
        else {
          const t = g.ts[i] as Micros;
          const best = (groups[gi] as ProcessedGroup).ts[pos[gi] as number] as Micros;
          if (fwd ? t < best : t > best) gi = k;
        }
      }
      if (gi < 0) break;
      const g = groups[gi] as ProcessedGroup;
      const i = pos[gi] as number;
      pos[gi] = i + 1;
      const t = g.ts[i] as Micros;
      if (p.interval && lastKept !== undefined && (fwd ? t < lastKept + p.interval : t > lastKept - p.interval)) continue;
      let s = streams.get(g.key);
      if (!s) streams.set(g.key, (s = { stream: sortedObject(g.labels), values: [] }));
      s.values.push([microsToNanosString(t), g.lines[i] as string]);
      stats.postFilterLines++;
      lastKept = t;
      if (++count >= p.limit) break outer;
    }
  }
  return [...streams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

function sortedObject(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k] as string;
  return out;
}
