/**
 * The LogQL engine: parses a query, evaluates it over a LogQuerier and answers exactly Loki's
 * `data` object (streams, vector, matrix or scalar, plus summary stats).
 */
import { VigilError } from '../../core/errors.js';
import { formatDuration, type Micros } from '../../core/time.js';
import type { LogBatch } from '../../core/events.js';
import { formatLabels, matchesAll, type Labels } from '../../core/labels.js';
import type { LogQuerier } from '../../store/interfaces.js';
import { compilePipeline } from './pipeline.js';
import type { LogQLExpr, SampleExpr } from './ast.js';
import { queryError } from './errors.js';
import { evalLogQuery, type LokiStreamResult } from './log-query.js';
import { evalSample } from './metric-eval.js';
import { parseLogQL } from './parser.js';
import { compareLabels, formatSampleValue, microsToSeconds, stepTime, type Steps } from './steps.js';

export interface LokiSummaryStats {
  bytesProcessedPerSecond: number;
  linesProcessedPerSecond: number;
  totalBytesProcessed: number;
  totalLinesProcessed: number;
  totalPostFilterLines: number;
  execTime: number;
  queueTime: number;
  subqueries: number;
  totalEntriesReturned: number;
}

export interface LokiStats {
  summary: LokiSummaryStats;
}

export type LokiQueryData =
  | { resultType: 'streams'; result: LokiStreamResult[]; stats: LokiStats }
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }>; stats: LokiStats }
  | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>; stats: LokiStats }
  | { resultType: 'scalar'; result: [number, string]; stats: LokiStats };

export interface LogQLQuery {
  tenant: string;
  query: string;
  /** Range queries: first evaluation time (inclusive); log queries: start of [start, end). */
  start: Micros;
  /** Range queries: last evaluation time; instant queries: the evaluation time; log queries: exclusive end. */
  end: Micros;
  /** Range queries: step between evaluation times; Loki's default when missing (max(floor((end-start)/250s), 1s)). */
  step?: Micros | undefined;
  interval?: Micros | undefined;
  limit: number;
  direction: 'forward' | 'backward';
  kind: 'instant' | 'range';
  signal?: AbortSignal | undefined;
}

/** One entry a live filter let through, with its labels after the pipeline. */
export interface LiveEntry {
  labels: Labels;
  key: string;
  ts: Micros;
  line: string;
}

export interface LogQLEngineOptions {
  /** Refuse log queries asking for more entries (Loki's max_entries_limit_per_query, default 5000). */
  maxEntriesLimit?: number;
  /** Refuse metric queries with more series at one step (Loki's max_query_series, default 500). */
  maxSeries?: number;
  /** Refuse queries spanning more than this (Loki's max_query_length); unlimited when absent. */
  maxQueryLength?: Micros;
}

const MAX_POINTS = 11_000;

/** Loki's default step for a range query without one: max(floor((end - start) / 250 seconds), 1) seconds. */
export function defaultStep(start: Micros, end: Micros): Micros {
  return Math.max(Math.floor((end - start) / 1e6 / 250), 1) * 1e6;
}

/**
 * Evaluates LogQL over a LogQuerier. The server's /loki/api/v1/query(_range) and the CLI call
 * `query`; it rejects with VigilError BAD_QUERY (LogQLParseError for syntax errors, with a
 * position) for invalid queries and limits, and with the signal's reason when aborted.
 */
export class LogQLEngine {
  private readonly maxEntriesLimit: number;
  private readonly maxSeries: number;
  private readonly maxQueryLength: Micros | undefined;
  constructor(private readonly querier: LogQuerier, opts: LogQLEngineOptions = {}) {
    this.maxEntriesLimit = opts.maxEntriesLimit ?? 5000;
    this.maxSeries = opts.maxSeries ?? 500;
    this.maxQueryLength = opts.maxQueryLength;
  }

  /**
   * Compiles a log query into a filter over appended batches, for live tail: stream matchers, then
   * the whole pipeline. Throws BAD_QUERY for parse errors and for metric queries.
   */
  compileLiveFilter(query: string): (batch: LogBatch) => LiveEntry[] {
    const expr = parseLogQL(query);
    if (expr.kind !== 'log') throw queryError('tail supports log queries only, not metric queries');
    const pipeline = compilePipeline(expr.stages);
    const matchers = expr.matchers;
    return (batch) => {
      const out: LiveEntry[] = [];
      for (const s of batch.streams) {
        if (!matchesAll(s.labels, matchers)) continue;
        const key = formatLabels(s.labels);
        for (const g of pipeline.batch(s.labels, key, s.ts, s.lines, s.fields)) {
          for (let i = 0; i < g.lines.length; i++) out.push({ labels: g.labels, key: g.key, ts: g.ts[i] as Micros, line: g.lines[i] as string });
        }
      }
      return out;
    };
  }

  async query(p: LogQLQuery): Promise<LokiQueryData> {
    const started = performance.now();
    const expr: LogQLExpr = parseLogQL(p.query);
    if (p.end < p.start) throw new VigilError('BAD_QUERY', 'invalid query, end timestamp must not be before start time');
    if (this.maxQueryLength !== undefined && p.end - p.start > this.maxQueryLength) {
      throw new VigilError('BAD_QUERY', `the query time range exceeds the limit (query length: ${formatDuration(p.end - p.start)}, limit: ${formatDuration(this.maxQueryLength)})`);
    }
    const stats = { bytes: 0, lines: 0, postFilterLines: 0 };
    const finish = (entries: number): LokiStats => {
      const exec = (performance.now() - started) / 1000;
      return {
        summary: {
          bytesProcessedPerSecond: exec > 0 ? Math.floor(stats.bytes / exec) : 0,
          linesProcessedPerSecond: exec > 0 ? Math.floor(stats.lines / exec) : 0,
          totalBytesProcessed: stats.bytes,
          totalLinesProcessed: stats.lines,
          totalPostFilterLines: stats.postFilterLines,
          execTime: exec,
          queueTime: 0,
          subqueries: 0,
          totalEntriesReturned: entries,
        },
      };
    };
    if (expr.kind === 'log') {
      if (p.kind === 'instant') {
        throw queryError('log queries are not supported as an instant query type, please change your query to a range query type');
      }
      if (p.limit > this.maxEntriesLimit) {
        throw new VigilError('BAD_QUERY', `max entries limit per query exceeded, limit > max_entries_limit_per_query (${p.limit} > ${this.maxEntriesLimit})`);
      }
      const result = await evalLogQuery(this.querier, expr, { ...p }, stats);
      const entries = result.reduce((n, s) => n + s.values.length, 0);
      return { resultType: 'streams', result, stats: finish(entries) };
    }
    const steps = this.steps(p);
    const value = await evalSample(expr, { querier: this.querier, tenant: p.tenant, steps, signal: p.signal, stats, maxSeries: this.maxSeries });
    if (value.kind === 'scalar') {
      if (p.kind === 'instant') {
        return { resultType: 'scalar', result: [microsToSeconds(p.end), formatSampleValue(value.vals[0] as number)], stats: finish(1) };
      }
      const values: Array<[number, string]> = [];
      for (let i = 0; i < steps.n; i++) values.push([microsToSeconds(stepTime(steps, i)), formatSampleValue(value.vals[i] as number)]);
      return { resultType: 'matrix', result: [{ metric: {}, values }], stats: finish(1) };
    }
    if (p.kind === 'instant') {
      const result = value.series
        .filter((s) => s.has[0])
        .map((s) => ({ metric: s.labels, value: [microsToSeconds(p.end), formatSampleValue(s.vals[0] as number)] as [number, string] }));
      const order = sortOrder(expr);
      if (order) result.sort((a, b) => (order === 'asc' ? Number(a.value[1]) - Number(b.value[1]) : Number(b.value[1]) - Number(a.value[1])));
      else result.sort((a, b) => compareLabels(a.metric, b.metric));
      return { resultType: 'vector', result: result.map((r) => ({ metric: sortedObject(r.metric), value: r.value })), stats: finish(result.length) };
    }
    const result = value.series
      .map((s) => {
        const values: Array<[number, string]> = [];
        for (let i = 0; i < steps.n; i++) if (s.has[i]) values.push([microsToSeconds(stepTime(steps, i)), formatSampleValue(s.vals[i] as number)]);
        return { metric: sortedObject(s.labels), values };
      })
      .filter((s) => s.values.length > 0)
      .sort((a, b) => compareLabels(a.metric, b.metric));
    return { resultType: 'matrix', result, stats: finish(result.length) };
  }

  private steps(p: LogQLQuery): Steps {
    if (p.kind === 'instant') return { start: p.end, step: 0, n: 1 };
    const step = p.step ?? defaultStep(p.start, p.end);
    if (step <= 0) throw new VigilError('BAD_QUERY', 'invalid step parameter: zero or negative query resolution step widths are not accepted. Try a positive integer');
    const n = Math.floor((p.end - p.start) / step) + 1;
    if (n > MAX_POINTS) throw new VigilError('BAD_QUERY', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    return { start: p.start, step, n };
  }
}

/** sort()/sort_desc() at the top decide the order of an instant vector. */
function sortOrder(e: SampleExpr): 'asc' | 'desc' | undefined {
  if (e.kind === 'vectorAgg' && (e.op === 'sort' || e.op === 'sort_desc')) return e.op === 'sort' ? 'asc' : 'desc';
  return undefined;
}

function sortedObject(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k] as string;
  return out;
}
