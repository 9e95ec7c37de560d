import type { AggregateExpr, AtModifier, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './ast.js';
import { labelsKey, compareLabels, withoutName, type Labels } from './labels.js';
import { parsePromQL } from './parser.js';
import { isStaleNaN, type SeriesData, type SeriesQuerier } from './storage.js';
import { Annotations, PromQLError, type RangeSeries, type ResultSeries, type Sample, type Value } from './values.js';
import { callFunction, feedRange } from './functions.js';
import { aggregate } from './aggregations.js';
import { GroupIndex } from './aggregate-stream.js';
import { ResultSink, appendPoint } from './range-result.js';
import { evalBinary } from './binary.js';

export interface EngineOptions {
  /** How far back an instant selector looks for a sample (Prometheus default 5m). */
  lookbackDeltaMs?: number;
  /** Step of subqueries written without one (`x[5m:]`); Prometheus uses the global evaluation interval. */
  defaultSubqueryStepMs?: number;
  /** Most samples one query may read from storage (Prometheus's query.max-samples, default 50M). */
  maxSamples?: number;
  /** Wall-clock budget of one query (Prometheus's query.timeout, default 2m). */
  timeoutMs?: number;
}

/** Per-call options: the caller's abort signal (client went away, server stopping). */
export interface QueryOptions {
  signal?: AbortSignal;
}

/** How long a range query computes before yielding to the event loop (so ingestion keeps up). */
const YIELD_EVERY_MS = 20;

export interface InstantQueryResult {
  value: Value;
  warnings: string[];
  infos: string[];
}

export interface RangeQueryResult {
  /** Series sorted by labels; a scalar query yields one series with no labels. */
  series: ResultSeries[];
  resultType: 'matrix';
  warnings: string[];
  infos: string[];
}

/** Fetched series, normalised to Float64Array so the per-step lookups stay monomorphic. */
export interface LoadedSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  /** Whether any value is a staleness marker (most series have none: their windows need no scan). */
  stale: boolean;
  /** Whether any value is below its predecessor (a counter reset): rate() scans windows only then. */
  resets: boolean;
}

function hasResets(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if ((v[i] as number) < (v[i - 1] as number)) return true;
  return false;
}

function hasStale(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (isStaleNaN(v[i] as number)) return true;
  return false;
}

/**
 * Per selector node, each series' window bounds at the last evaluation time. A range query's
 * steps ascend, so the next bounds are found by walking forward a few samples instead of two
 * binary searches per series per step; an earlier time (subqueries, @) searches afresh.
 */
interface Cursor {
  ref: number;
  i0: Int32Array;
  i1: Int32Array;
}

/** First index i >= from (and >= 0) with t[i] > x, walking forward; t.length when none. */
function walkPast(t: Float64Array, from: number, x: number): number {
  let i = from;
  while (i < t.length && (t[i] as number) <= x) i++;
  return i;
}

const f64 = (a: Float64Array | number[]): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));

/** The window a range-vector argument covered: (start, end], in ms, and its nominal length. */
export interface RangeWindow {
  start: number;
  end: number;
  rangeMs: number;
}

/**
 * Evaluates PromQL (float samples) as Prometheus 3 does, over any SeriesQuerier.
 * Called by the HTTP API and the promqltest runner. Parse errors reject with
 * PromQLParseError (with position); evaluation errors with PromQLError.
 */
export class PromQLEngine {
  readonly lookbackMs: number;
  readonly subqueryStepMs: number;
  readonly maxSamples: number;
  readonly timeoutMs: number;

  constructor(private readonly storage: SeriesQuerier, opts: EngineOptions = {}) {
    this.lookbackMs = opts.lookbackDeltaMs ?? 5 * 60_000;
    this.subqueryStepMs = opts.defaultSubqueryStepMs ?? 60_000;
    this.maxSamples = opts.maxSamples ?? 50_000_000;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  async instantQuery(query: string | Expr, timeMs: number, opts: QueryOptions = {}): Promise<InstantQueryResult> {
    const expr = typeof query === 'string' ? parsePromQL(query) : query;
    const deadline = Date.now() + this.timeoutMs;
    const ev = await this.prepare(expr, timeMs, timeMs, 0);
    let keep = false;
    try {
      checkDeadline(deadline, opts.signal);
      const v = ev.eval(expr, timeMs);
      let value: Value = v;
      if (v.kind === 'vector') value = { kind: 'vector', samples: finishVector(v.samples) };
      else if (v.kind === 'matrix') {
        value = { kind: 'matrix', series: finishMatrix(v.series) };
        // A range vector's series are views of the selected arrays: the storage must keep them.
        keep = true;
      }
      return { value, warnings: [...ev.ann.warnings], infos: [...ev.ann.infos] };
    } finally {
      if (!keep) this.release(ev);
    }
  }

  async rangeQuery(query: string | Expr, startMs: number, endMs: number, stepMs: number, opts: QueryOptions = {}): Promise<RangeQueryResult> {
    if (stepMs <= 0) throw new PromQLError('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new PromQLError('end timestamp must not be before start time');
    const expr = typeof query === 'string' ? parsePromQL(query) : query;
    const deadline = Date.now() + this.timeoutMs;
    const ev = await this.prepare(expr, startMs, endMs, stepMs);
    try {
      return await this.evalRange(ev, expr, startMs, endMs, stepMs, deadline, opts);
    } finally {
      // The result holds copies of the values: the selected arrays can go back to the storage.
      this.release(ev);
    }
  }

  /** Hands every select result of `ev` back to the storage (once). */
  private release(ev: Evaluator): void {
    const rel = this.storage.release;
    if (!rel) return;
    for (const rows of ev.selected.splice(0)) rel.call(this.storage, rows);
  }

  private async evalRange(ev: Evaluator, expr: Expr, startMs: number, endMs: number, stepMs: number, deadline: number, opts: QueryOptions): Promise<RangeQueryResult> {
    const out = new Map<string, ResultSeries>();
    // Each input label set's result series (after __name__ removal), found once per query: the
    // same label objects recur at every step, so no per-step key, copy or duplicate set.
    const kept = new WeakMap<Labels, ResultSeries>();
    const dropped = new WeakMap<Labels, ResultSeries>();
    const resultOf = (m: Labels, dropName: boolean): ResultSeries => {
      const cache = dropName ? dropped : kept;
      let rs = cache.get(m);
      if (!rs) {
        const metric = dropName ? withoutName(m) : m;
        const key = labelsKey(metric);
        rs = out.get(key);
        if (!rs) { rs = { metric, t: [], v: [] }; out.set(key, rs); }
        cache.set(m, rs);
      }
      return rs;
    };
    const sink = new ResultSink(resultOf);
    const scalarLabels: Labels = {};
    let points = 0;
    let sliceStart = Date.now();
    for (let ts = startMs; ts <= endMs; ts += stepMs) {
      if (Date.now() - sliceStart >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        checkDeadline(deadline, opts.signal);
        sliceStart = Date.now();
      }
      sink.ts = ts;
      sink.count = 0;
      if (feedRange(ev, expr, ts, sink)) {
        points += sink.count;
        if (points > this.maxSamples) throw new PromQLError(TOO_MANY_SAMPLES, 'LIMIT_EXCEEDED');
        continue;
      }
      const v = ev.eval(expr, ts);
      let samples: Sample[];
      if (v.kind === 'scalar') samples = [{ metric: scalarLabels, v: v.v, dropName: false }];
      else if (v.kind === 'vector') samples = v.samples;
      else throw new PromQLError(`invalid expression type "${v.kind === 'matrix' ? 'range vector' : 'string'}" for range query, must be Scalar or instant Vector`);
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i] as Sample;
        appendPoint(resultOf(s.metric, s.dropName), ts, s.v);
      }
      points += samples.length;
      if (points > this.maxSamples) throw new PromQLError(TOO_MANY_SAMPLES, 'LIMIT_EXCEEDED');
    }
    const series = [...out.values()].sort((a, b) => compareLabels(a.metric, b.metric));
    return { series, resultType: 'matrix', warnings: [...ev.ann.warnings], infos: [...ev.ann.infos] };
  }

  /** Fetches every selector's data once for the whole query span, then evaluation is synchronous. */
  private async prepare(expr: Expr, start: number, end: number, step: number): Promise<Evaluator> {
    const ev = new Evaluator(this, start, end, step);
    const needs: Array<{ sel: VectorSelector; lo: number; hi: number }> = [];
    const walk = (e: Expr, lo: number, hi: number): void => {
      switch (e.type) {
        case 'VectorSelector':
        case 'MatrixSelector': {
          const sel = e.type === 'VectorSelector' ? e : e.selector;
          const back = e.type === 'MatrixSelector' ? e.rangeMs : this.lookbackMs;
          const [a, b] = ev.atBounds(sel.at, lo, hi);
          needs.push({ sel, lo: a - sel.offset - back, hi: b - sel.offset });
          return;
        }
        case 'SubqueryExpr': {
          const [a, b] = ev.atBounds(e.at, lo, hi);
          walk(e.expr, a - e.offset - e.rangeMs, b - e.offset);
          return;
        }
        case 'Call': e.args.forEach((x) => walk(x, lo, hi)); return;
        case 'AggregateExpr': walk(e.expr, lo, hi); if (e.param) walk(e.param, lo, hi); return;
        case 'BinaryExpr': walk(e.lhs, lo, hi); walk(e.rhs, lo, hi); return;
        case 'UnaryExpr': case 'ParenExpr': walk(e.expr, lo, hi); return;
        default: return;
      }
    };
    walk(expr, start, end);
    let loaded = 0;
    await Promise.all(needs.map(async (n) => {
      const rows = await this.storage.select(n.sel.matchers, n.lo, n.hi);
      ev.selected.push(rows);
      for (const r of rows) loaded += r.t.length;
      if (loaded > this.maxSamples) throw new PromQLError(TOO_MANY_SAMPLES, 'LIMIT_EXCEEDED');
      ev.data.set(n.sel, rows.map((r) => {
        const v = f64(r.v);
        return { labels: r.labels, t: f64(r.t), v, stale: hasStale(v), resets: hasResets(v) };
      }).sort((a, b) => compareLabels(a.labels, b.labels)));
    }));
    return ev;
  }
}

function checkDeadline(deadline: number, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PromQLError('query was canceled in expression evaluation', 'QUERY_TIMEOUT');
  if (Date.now() > deadline) throw new PromQLError('query timed out in expression evaluation', 'QUERY_TIMEOUT');
}

/** Prometheus's text when a query exceeds its sample budget. */
const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';

/** Removes __name__ where a function or operator asked for it, then rejects duplicate label sets. */
export function finishVector(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  const out: Sample[] = [];
  for (const s of samples) {
    const metric = s.dropName ? withoutName(s.metric) : s.metric;
    const k = labelsKey(metric);
    if (seen.has(k)) throw new PromQLError('vector cannot contain metrics with the same labelset');
    seen.add(k);
    out.push(metric === s.metric && !s.dropName ? s : { metric, v: s.v, dropName: false, ts: s.ts });
  }
  return out;
}

function finishMatrix(series: RangeSeries[]): RangeSeries[] {
  const seen = new Set<string>();
  return series.map((s) => {
    const metric = s.dropName ? withoutName(s.metric) : s.metric;
    const k = labelsKey(metric);
    if (seen.has(k)) throw new PromQLError('vector cannot contain metrics with the same labelset');
    seen.add(k);
    return { ...s, metric, dropName: false };
  });
}

function lastIndexAtOrBefore(t: Float64Array, ts: number): number {
  let lo = 0;
  let hi = t.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] as number) <= ts) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/** Per-query evaluation state; `eval` computes one node at one evaluation time. */
export class Evaluator {
  readonly data = new Map<VectorSelector, LoadedSeries[]>();
  /** The storage's select results, released when the query is done (see SeriesQuerier.release). */
  readonly selected: SeriesData[][] = [];
  readonly ann = new Annotations();
  private readonly subqueryMemo = new Map<SubqueryExpr, Map<number, Value>>();
  private readonly cursors = new Map<object, Cursor>();
  private readonly groupIndexes = new Map<AggregateExpr, GroupIndex>();

  /** The groups of aggregation node `e` for this query (see aggregate-stream.ts). */
  groupIndex(e: AggregateExpr): GroupIndex {
    let g = this.groupIndexes.get(e);
    if (!g) { g = new GroupIndex(e); this.groupIndexes.set(e, g); }
    return g;
  }

  /** The cursor of `node` over `data`, reset when `ref` went backwards (then filled by binary search). */
  private cursor(node: object, data: readonly LoadedSeries[], ref: number): { cur: Cursor; forward: boolean } {
    let cur = this.cursors.get(node);
    if (!cur || cur.i0.length !== data.length) {
      cur = { ref: -Infinity, i0: new Int32Array(data.length), i1: new Int32Array(data.length) };
      this.cursors.set(node, cur);
    }
    const forward = ref >= cur.ref;
    cur.ref = ref;
    return { cur, forward };
  }

  constructor(readonly engine: PromQLEngine, readonly start: number, readonly end: number, readonly step: number) {}

  atBounds(at: AtModifier | undefined, lo: number, hi: number): [number, number] {
    if (!at) return [lo, hi];
    const t = this.atTime(at, lo);
    return [t, t];
  }

  atTime(at: AtModifier | undefined, ts: number): number {
    if (!at) return ts;
    if (at.kind === 'start') return this.start;
    if (at.kind === 'end') return this.end;
    return at.ms;
  }

  eval(e: Expr, ts: number): Value {
    switch (e.type) {
      case 'NumberLiteral': return { kind: 'scalar', v: e.value };
      case 'StringLiteral': return { kind: 'string', s: e.value };
      case 'ParenExpr': return this.eval(e.expr, ts);
      case 'VectorSelector': return { kind: 'vector', samples: this.vectorSelector(e, ts) };
      case 'MatrixSelector': return { kind: 'matrix', series: this.matrixSelector(e, ts).series };
      case 'SubqueryExpr': return { kind: 'matrix', series: this.subquery(e, ts).series };
      case 'UnaryExpr': {
        const v = this.eval(e.expr, ts);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', v: -v.v };
        if (v.kind === 'vector') return { kind: 'vector', samples: v.samples.map((s) => ({ metric: s.metric, v: -s.v, dropName: true })) };
        throw new PromQLError('unary minus needs a scalar or an instant vector');
      }
      case 'Call': return callFunction(this, e, ts);
      case 'AggregateExpr': return { kind: 'vector', samples: aggregate(this, e, ts) };
      case 'BinaryExpr': return evalBinary(this, e, ts);
    }
  }

  vectorSelector(sel: VectorSelector, ts: number): Sample[] {
    const ref = this.atTime(sel.at, ts) - sel.offset;
    const lookback = this.engine.lookbackMs;
    const out: Sample[] = [];
    const data = this.data.get(sel) ?? [];
    const { cur, forward } = this.cursor(sel, data, ref);
    for (let k = 0; k < data.length; k++) {
      const s = data[k] as LoadedSeries;
      const after = forward ? walkPast(s.t, cur.i1[k] as number, ref) : lastIndexAtOrBefore(s.t, ref) + 1;
      cur.i1[k] = after;
      const i = after - 1;
      if (i < 0) continue;
      const t = s.t[i] as number;
      if (t <= ref - lookback) continue;
      const v = s.v[i] as number;
      if (isStaleNaN(v)) continue;
      out.push({ metric: s.labels, v, dropName: false, ts: t });
    }
    return out;
  }

  /**
   * The (ref - range, ref] bounds of every loaded series of `m` as indices into its arrays, without
   * building views: for index-based range functions (rate, increase, delta), where a view per
   * series per step was a large share of the work. Undefined when a series holds staleness
   * markers (then matrixSelector filters them). The arrays are reused by the next call.
   */
  matrixWindows(m: MatrixSelector, ts: number): { data: readonly LoadedSeries[]; i0: Int32Array; i1: Int32Array; window: RangeWindow } | undefined {
    const sel = m.selector;
    const data = this.data.get(sel) ?? [];
    for (const s of data) if (s.stale) return undefined;
    const ref = this.atTime(sel.at, ts) - sel.offset;
    const lo = ref - m.rangeMs;
    const { cur, forward } = this.cursor(m, data, ref);
    for (let k = 0; k < data.length; k++) {
      const s = data[k] as LoadedSeries;
      const i0 = forward ? walkPast(s.t, cur.i0[k] as number, lo) : lastIndexAtOrBefore(s.t, lo) + 1;
      cur.i0[k] = i0;
      cur.i1[k] = forward ? walkPast(s.t, Math.max(i0, cur.i1[k] as number), ref) : lastIndexAtOrBefore(s.t, ref) + 1;
    }
    return { data, i0: cur.i0, i1: cur.i1, window: { start: lo, end: ref, rangeMs: m.rangeMs } };
  }

  /** Samples of each series in (ref - range, ref], stale markers dropped. */
  matrixSelector(m: MatrixSelector, ts: number): { series: RangeSeries[]; window: RangeWindow } {
    const sel = m.selector;
    const ref = this.atTime(sel.at, ts) - sel.offset;
    const lo = ref - m.rangeMs;
    const out: RangeSeries[] = [];
    const data = this.data.get(sel) ?? [];
    const { cur, forward } = this.cursor(m, data, ref);
    for (let k = 0; k < data.length; k++) {
      const s = data[k] as LoadedSeries;
      const i0 = forward ? walkPast(s.t, cur.i0[k] as number, lo) : lastIndexAtOrBefore(s.t, lo) + 1;
      const i1 = forward ? walkPast(s.t, Math.max(i0, cur.i1[k] as number), ref) : lastIndexAtOrBefore(s.t, ref) + 1;
      cur.i0[k] = i0;
      cur.i1[k] = i1;
      if (i1 <= i0) continue;
      if (!s.stale) {
        // Views, not copies: range functions only read them.
        out.push({ metric: s.labels, t: s.t.subarray(i0, i1), v: s.v.subarray(i0, i1), dropName: false });
        continue;
      }
      const t: number[] = [];
      const v: number[] = [];
      for (let i = i0; i < i1; i++) {
        const x = s.v[i] as number;
        if (isStaleNaN(x)) continue;
        t.push(s.t[i] as number);
        v.push(x);
      }
      if (t.length > 0) out.push({ metric: s.labels, t, v, dropName: false });
    }
    return { series: out, window: { start: lo, end: ref, rangeMs: m.rangeMs } };
  }

  subquery(sq: SubqueryExpr, ts: number): { series: RangeSeries[]; window: RangeWindow } {
    const ref = this.atTime(sq.at, ts) - sq.offset;
    const step = sq.stepMs > 0 ? sq.stepMs : this.engine.subqueryStepMs;
    const lo = ref - sq.rangeMs;
    let first = step * Math.trunc(lo / step);
    if (first <= lo) first += step;
    const bySeries = new Map<string, { metric: Labels; t: number[]; v: number[]; dropName: boolean }>();
    // Consecutive outer steps share most inner steps: memoise them, dropping those behind the window.
    let memo = this.subqueryMemo.get(sq);
    if (!memo) { memo = new Map(); this.subqueryMemo.set(sq, memo); }
    for (const t of memo.keys()) if (t <= lo) memo.delete(t);
    if ((ref - first) / step > this.engine.maxSamples) throw new PromQLError(TOO_MANY_SAMPLES, 'LIMIT_EXCEEDED');
    let held = 0;
    for (let t = first; t <= ref; t += step) {
      let v = memo.get(t);
      if (!v) { v = this.eval(sq.expr, t); memo.set(t, v); }
      if (v.kind !== 'vector') continue;
      held += v.samples.length;
      if (held > this.engine.maxSamples) throw new PromQLError(TOO_MANY_SAMPLES, 'LIMIT_EXCEEDED');
      for (const s of v.samples) {
        const k = labelsKey(s.metric) + (s.dropName ? '\x00d' : '');
        let rs = bySeries.get(k);
        if (!rs) { rs = { metric: s.metric, t: [], v: [], dropName: s.dropName }; bySeries.set(k, rs); }
        rs.t.push(t);
        rs.v.push(s.v);
      }
    }
    const series = [...bySeries.values()].sort((a, b) => compareLabels(a.metric, b.metric));
    return { series, window: { start: lo, end: ref, rangeMs: sq.rangeMs } };
  }

  /** Evaluates a range-vector argument (selector or subquery, maybe parenthesized) with its window. */
  rangeArg(e: Expr, ts: number): { series: RangeSeries[]; window: RangeWindow; selector: VectorSelector | undefined } {
    while (e.type === 'ParenExpr') e = e.expr;
    if (e.type === 'MatrixSelector') return { ...this.matrixSelector(e, ts), selector: e.selector };
    if (e.type === 'SubqueryExpr') return { ...this.subquery(e, ts), selector: undefined };
    throw new PromQLError(`expected a range vector, got ${e.type}`);
  }

  scalarArg(e: Expr, ts: number): number {
    const v = this.eval(e, ts);
    if (v.kind !== 'scalar') throw new PromQLError('expected scalar argument');
    return v.v;
  }

  stringArg(e: Expr, ts: number): string {
    const v = this.eval(e, ts);
    if (v.kind !== 'string') throw new PromQLError('expected string argument');
    return v.s;
  }

  vectorArg(e: Expr, ts: number): Sample[] {
    const v = this.eval(e, ts);
    if (v.kind !== 'vector') throw new PromQLError('expected instant vector argument');
    return v.samples;
  }
}
