/**
 * Range aggregations (`count_over_time`, `rate`, unwrapped `*_over_time`, ...): selects the
 * entries of (first step - range - offset, last step - offset], runs the pipeline, extracts one
 * sample per entry and evaluates each step's window (t - range, t] (left-open, as Loki does).
 */
import { formatLabels, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { LogQuerier } from '../../store/interfaces.js';
import type { RangeAggregationExpr } from './ast.js';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, Errors } from './entry-labels.js';
import { queryError } from './errors.js';
import { compileLabelFilter } from './label-filter.js';
import { compilePipeline, PipelineEntry, pushdownLineFilters } from './pipeline.js';
import { groupLabels, newSeries, stepTime, type Series, type Steps } from './steps.js';
import { RANGE_FUNCS } from './range-functions.js';
import { WindowSlots } from './window-slots.js';
import { parseBytes, parseGoDurationSeconds } from './units.js';

export interface EvalContext {
  querier: LogQuerier;
  tenant: string;
  steps: Steps;
  signal?: AbortSignal | undefined;
  stats: { bytes: number; lines: number; postFilterLines: number };
  /** Loki's max_query_series: no step of a range or vector aggregation may hold more series. */
  maxSeries: number;
}

interface Samples {
  labels: Labels;
  ts: Micros[];
  vs: number[];
  sorted: boolean;
}

/** Evaluates a range aggregation into step series. Throws BAD_QUERY on pipeline errors left in the series. */
export async function evalRangeAggregation(e: RangeAggregationExpr, ctx: EvalContext): Promise<Series[]> {
  const { steps } = ctx;
  const first = stepTime(steps, 0) - e.offset;
  const last = stepTime(steps, steps.n - 1) - e.offset;
  const pipeline = compilePipeline(e.selector.stages);
  const extract = sampleExtractor(e);
  const bySeries = new Map<string, Samples>();
  const slotFn = SLOT_FUNCS[e.op];
  const slots = slotFn && !e.unwrap ? new WindowSlots(steps, e.range, e.offset, ctx.maxSeries) : undefined;
  const entry = new PipelineEntry();
  const iter = ctx.querier.select({
    tenant: ctx.tenant,
    matchers: e.selector.matchers,
    start: first - e.range + 1, // the window is left-open: (t - range, t]
    end: last + 1,
    direction: 'forward',
    order: 'stream',
    lineFilters: pushdownLineFilters(e.selector),
    // Counting entries of a bare selector needs timestamps only: the store then skips the lines.
    skipLines: e.selector.stages.length === 0 && !e.unwrap && (e.op === 'count_over_time' || e.op === 'rate' || e.op === 'absent_over_time'),
    signal: ctx.signal,
  });
  for await (const b of iter) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    ctx.stats.lines += b.lines.length;
    for (let i = 0; i < b.lines.length; i++) {
      const line = b.lines[i] as string;
      ctx.stats.bytes += Buffer.byteLength(line);
      entry.reset(b.labels, line, b.ts[i] as Micros, b.fields?.[i]);
      if (!pipeline.run(entry)) continue;
      const v = extract(entry);
      if (v === undefined) continue;
      ctx.stats.postFilterLines++;
      let labels = entry.labelsTouched ? entry.lbs.result() : b.labels;
      const errLabel = labels[ERROR_LABEL];
      if (errLabel) throw pipelineError(labels, errLabel);
      if (e.grouping) labels = groupLabels(labels, e.grouping);
      const key = labels === b.labels ? b.key : formatLabels(labels);
      const t = entry.ts;
      if (slots) {
        slots.add(key, labels, t, v);
        continue;
      }
      let s = bySeries.get(key);
      if (!s) bySeries.set(key, (s = { labels, ts: [], vs: [], sorted: true }));
      if (s.ts.length > 0 && (s.ts[s.ts.length - 1] as number) > t) s.sorted = false;
      s.ts.push(t);
      s.vs.push(v);
    }
  }
  const rangeSeconds = e.range / 1e6;
  if (slots && slotFn) return slots.result((count, sum) => slotFn(count, sum, rangeSeconds));
  if (e.op === 'absent_over_time') return absent(e, bySeries, ctx.steps);
  const fn = RANGE_FUNCS[e.op];
  const out: Series[] = [];
  for (const [key, s] of bySeries) {
    if (!s.sorted) sortSamples(s);
    const series = newSeries(s.labels, steps.n, key);
    let lo = 0;
    let hi = 0;
    let any = false;
    for (let i = 0; i < steps.n; i++) {
      const t = stepTime(steps, i) - e.offset;
      while (hi < s.ts.length && (s.ts[hi] as number) <= t) hi++;
      while (lo < hi && (s.ts[lo] as number) <= t - e.range) lo++;
      if (hi === lo) continue;
      series.vals[i] = fn(s.vs, lo, hi, rangeSeconds, e.param ?? 0, s.ts);
      series.has[i] = 1;
      any = true;
    }
    if (any) out.push(series);
  }
  return out;
}

/** Range functions of a window's count and sum only: these run in constant memory per step. */
const SLOT_FUNCS: Partial<Record<RangeAggregationExpr['op'], (count: number, sum: number, rangeSeconds: number) => number>> = {
  count_over_time: (count) => count,
  rate: (count, _sum, r) => count / r,
  bytes_over_time: (_count, sum) => sum,
  bytes_rate: (_count, sum, r) => sum / r,
};

function pipelineError(labels: Labels, err: string): Error {
  return queryError(
    `pipeline error: '${err}' for series: '${formatLabels(labels)}'. Use a label filter to intentionally skip this error. (e.g | __error__!="${err}"). To skip all potential errors you can match empty errors.(e.g __error__="") The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )`,
    { error: err, details: labels[ERROR_DETAILS_LABEL] },
  );
}

function sortSamples(s: Samples): void {
  const idx = s.ts.map((_, i) => i).sort((a, b) => (s.ts[a] as number) - (s.ts[b] as number) || a - b);
  s.ts = idx.map((i) => s.ts[i] as number);
  s.vs = idx.map((i) => s.vs[i] as number);
}

/** One sample value per entry: 1 (counts), the line's bytes, or the unwrapped label's value. */
function sampleExtractor(e: RangeAggregationExpr): (entry: PipelineEntry) => number | undefined {
  if (e.op === 'bytes_over_time' || e.op === 'bytes_rate') return (entry) => Buffer.byteLength(entry.line);
  const u = e.unwrap;
  if (!u) return () => 1;
  const post = u.postFilters.map(compileLabelFilter);
  const conv = u.conv === 'bytes'
    ? (v: string): number | undefined => parseBytes(v)
    : u.conv
      ? (v: string): number | undefined => parseGoDurationSeconds(v)
      : (v: string): number | undefined => {
        const t = v.trim();
        const n = Number(t);
        return t === '' || (Number.isNaN(n) && !/^[+-]?(nan|inf(inity)?)$/i.test(t)) ? undefined : Number.isNaN(n) ? parseSpecial(t) : n;
      };
  return (entry) => {
    const lbs = entry.lbs;
    const raw = lbs.get(u.label) ?? '';
    // A line without the label is no sample (and no error), as in Loki since grafana/loki#6713.
    if (raw === '') return undefined;
    let v = conv(raw);
    if (v === undefined) {
      lbs.setError(Errors.sampleExtraction, `${u.conv ? `${u.conv}: ` : ''}strconv.ParseFloat: parsing ${JSON.stringify(raw)}: invalid syntax`);
      v = 0;
    }
    // The unwrapped label becomes the value, not a series label.
    lbs.delete(u.label);
    for (const f of post) if (!f(lbs)) return undefined;
    return v;
  };
}

function parseSpecial(t: string): number {
  const l = t.toLowerCase();
  if (l.includes('nan')) return Number.NaN;
  return l.startsWith('-') ? -Infinity : Infinity;
}

/** absent_over_time: 1 at steps whose window has no sample at all, labelled by the selector's equality matchers. */
function absent(e: RangeAggregationExpr, bySeries: Map<string, Samples>, steps: Steps): Series[] {
  const all: number[] = [];
  for (const s of bySeries.values()) all.push(...s.ts);
  all.sort((a, b) => a - b);
  const labels: Labels = {};
  for (const m of e.selector.matchers) if (m.op === '=') labels[m.name] = m.value;
  const series = newSeries(labels, steps.n);
  let any = false;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < steps.n; i++) {
    const t = stepTime(steps, i) - e.offset;
    while (hi < all.length && (all[hi] as number) <= t) hi++;
    while (lo < hi && (all[lo] as number) <= t - e.range) lo++;
    if (hi > lo) continue;
    series.vals[i] = 1;
    series.has[i] = 1;
    any = true;
  }
  return any ? [series] : [];
}
