import type { Call, Expr, LabelMatcher } from './ast.js';
import type { Evaluator, LoadedSeries } from './engine.js';
import { anchoredRegex, compareLabels, type Labels } from './labels.js';
import { PromQLError, formatFloat, type Sample, type Value } from './values.js';
import { hasInvalidUtf8 } from './literals.js';
import { histogramFraction, histogramQuantile } from './histogram-quantile.js';
import { RANGE_FNS, RATE_OUT, extrapolatedRateInto, type RangeFn } from './range-functions.js';
import type { SampleSink } from './aggregate-stream.js';

const KEEP_NAME = new Set(['last_over_time', 'first_over_time', 'sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc', 'label_replace', 'label_join']);

const MATH: Record<string, (x: number) => number> = {
  abs: Math.abs, ceil: Math.ceil, floor: Math.floor, sqrt: Math.sqrt, exp: Math.exp, ln: Math.log,
  log2: Math.log2, log10: Math.log10, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin,
  acos: Math.acos, atan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh,
  acosh: Math.acosh, atanh: Math.atanh, deg: (x) => (x * 180) / Math.PI, rad: (x) => (x * Math.PI) / 180,
  sgn: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
};

const DATE: Record<string, (d: Date) => number> = {
  minute: (d) => d.getUTCMinutes(), hour: (d) => d.getUTCHours(), month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(), day_of_month: (d) => d.getUTCDate(), day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 86400000) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
};

/** Labels absent()/absent_over_time() report: the selector's equality matchers, once each. */
function absentLabels(e: Expr): Labels {
  while (e.type === 'ParenExpr') e = e.expr;
  let matchers: LabelMatcher[] = [];
  if (e.type === 'VectorSelector') matchers = e.matchers;
  else if (e.type === 'MatrixSelector') matchers = e.selector.matchers;
  const out: Labels = {};
  const dup = new Set<string>();
  for (const m of matchers) {
    if (m.name === '__name__') continue;
    if (m.op === '=' && !(m.name in out) && !dup.has(m.name)) out[m.name] = m.value;
    else if (m.name in out) { delete out[m.name]; dup.add(m.name); }
  }
  return out;
}

function natCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const ax = a.match(re) ?? [];
  const bx = b.match(re) ?? [];
  for (let i = 0; i < Math.min(ax.length, bx.length); i++) {
    const x = ax[i] as string; const y = bx[i] as string;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) { const d = Number(x) - Number(y); if (d !== 0) return d; return x.length - y.length; }
    return x < y ? -1 : 1;
  }
  return ax.length - bx.length;
}

const NON_COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

const counterLikeCache = new Map<string, boolean>();

/** Whether a metric name ends like a counter's; cached: rate() asks for every series at every step. */
function counterLike(name: string): boolean {
  let r = counterLikeCache.get(name);
  if (r === undefined) {
    r = NON_COUNTER_SUFFIXES.some((x) => name.endsWith(x));
    if (counterLikeCache.size > 100_000) counterLikeCache.clear();
    counterLikeCache.set(name, r);
  }
  return r;
}

/**
 * A range function over a plain matrix selector, straight on the loaded arrays (no view per
 * series per step), each value handed to `sink` with the series' index as its position; false
 * (nothing added) when the argument is not a plain selector or holds staleness markers (then
 * the generic path filters them).
 */
function fastRange(ev: Evaluator, e: Call, fn: RangeFn, mi: number, extra: number[], ts: number, sink: SampleSink): boolean {
  let arg = e.args[mi] as Expr;
  while (arg.type === 'ParenExpr') arg = arg.expr;
  if (arg.type !== 'MatrixSelector') return false;
  const win = ev.matrixWindows(arg, ts);
  if (!win) return false;
  const f = e.func;
  const counterCheck = f === 'rate' || f === 'increase';
  // rate/increase/delta straight into RATE_OUT: no boxed result per series per step
  const extrapolated = counterCheck || f === 'delta';
  const drop = !KEEP_NAME.has(f);
  // A selector's series mostly share one name: check each name once, not per series per step.
  let checked: string | undefined;
  for (let k = 0; k < win.data.length; k++) {
    const s = win.data[k] as LoadedSeries;
    const a = win.i0[k] as number;
    const b = win.i1[k] as number;
    if (b <= a) continue;
    let v: number;
    if (extrapolated) {
      if (!extrapolatedRateInto(s.t, s.v, a, b, win.window, counterCheck, f === 'rate', s.resets)) continue;
      v = RATE_OUT[0] as number;
    } else {
      const r = fn(s.t, s.v, a, b, win.window, ts, extra);
      if (r === undefined) continue;
      v = r;
    }
    if (counterCheck && b - a >= 2) {
      const name = s.labels.__name__ ?? '';
      if (name !== checked) {
        counterInfo(ev, name);
        checked = name;
      }
    }
    sink.add(k, s.labels, v, drop);
  }
  return true;
}

class VectorSink implements SampleSink {
  readonly out: Sample[] = [];
  add(_k: number, metric: Labels, v: number, dropName: boolean): void { this.out.push({ metric, v, dropName }); }
}

/** A range function's checked scalar arguments; undefined when `e` is no range function. */
function rangeCall(ev: Evaluator, e: Call, ts: number): { fn: RangeFn; mi: number; extra: number[] } | undefined {
  const f = e.func;
  const fn = RANGE_FNS[f];
  if (!fn) return undefined;
  const mi = f === 'quantile_over_time' ? 1 : 0;
  const extra: number[] = [];
  e.args.forEach((a, i) => { if (i !== mi) extra.push(ev.scalarArg(a, ts)); });
  if (f === 'quantile_over_time') {
    const q = extra[0] as number;
    if (Number.isNaN(q) || q < 0 || q > 1) ev.ann.warn(`quantile value should be between 0 and 1, got ${formatFloat(q)}`);
  }
  if (f === 'double_exponential_smoothing') {
    const [sf, tf] = extra as [number, number];
    if (!(sf > 0 && sf < 1)) throw new PromQLError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
    if (!(tf > 0 && tf < 1)) throw new PromQLError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
  }
  return { fn, mi, extra };
}

/**
 * Evaluates `expr` at `ts` into `sink` when it is a range function over a plain selector
 * (`sum(rate(x[5m]))`: no Sample per series per step); false, with nothing added, otherwise.
 * Called by aggregations; evaluation errors throw as from `callFunction`.
 */
export function feedRange(ev: Evaluator, expr: Expr, ts: number, sink: SampleSink): boolean {
  while (expr.type === 'ParenExpr') expr = expr.expr;
  if (expr.type !== 'Call') return false;
  const rc = rangeCall(ev, expr, ts);
  return rc !== undefined && fastRange(ev, expr, rc.fn, rc.mi, rc.extra, ts, sink);
}

function counterInfo(ev: Evaluator, name: string): void {
  if (!counterLike(name)) ev.ann.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`);
}

/** Evaluates a function call at one step. */
export function callFunction(ev: Evaluator, e: Call, ts: number): Value {
  const f = e.func;
  const drop = !KEEP_NAME.has(f);
  if (f === 'absent_over_time') {
    const arg = e.args[0] as Expr;
    const { series } = ev.rangeArg(arg, ts);
    return { kind: 'vector', samples: series.length > 0 ? [] : [{ metric: absentLabels(arg), v: 1, dropName: false }] };
  }
  const rc = rangeCall(ev, e, ts);
  if (rc) {
    const { fn: rangeFn, mi, extra } = rc;
    const sink = new VectorSink();
    if (fastRange(ev, e, rangeFn, mi, extra, ts, sink)) return { kind: 'vector', samples: sink.out };
    const { series, window } = ev.rangeArg(e.args[mi] as Expr, ts);
    const out: Sample[] = [];
    for (const s of series) {
      const n = s.v.length;
      if (n === 0) continue;
      const v = rangeFn(s.t, s.v, 0, n, window, ts, extra);
      if (v === undefined) continue;
      if ((f === 'rate' || f === 'increase') && n >= 2) counterInfo(ev, s.metric.__name__ ?? '');
      out.push({ metric: s.metric, v, dropName: drop || s.dropName });
    }
    return { kind: 'vector', samples: out };
  }
  const mapVec = (fn: (v: number, s: Sample) => number, src: Sample[] = ev.vectorArg(e.args[0] as Expr, ts)): Value => ({
    kind: 'vector', samples: src.map((s) => ({ metric: s.metric, v: fn(s.v, s), dropName: true })),
  });
  const math = MATH[f];
  if (math) return mapVec(math);
  const date = DATE[f];
  if (date) {
    if (e.args.length === 0) return { kind: 'vector', samples: [{ metric: {}, v: date(new Date(ts)), dropName: false }] };
    return mapVec((v) => (Number.isFinite(v) ? date(new Date(v * 1000)) : NaN));
  }
  switch (f) {
    case 'time': return { kind: 'scalar', v: ts / 1000 };
    case 'pi': return { kind: 'scalar', v: Math.PI };
    case 'vector': return { kind: 'vector', samples: [{ metric: {}, v: ev.scalarArg(e.args[0] as Expr, ts), dropName: false }] };
    case 'scalar': {
      const vec = ev.vectorArg(e.args[0] as Expr, ts);
      return { kind: 'scalar', v: vec.length === 1 ? (vec[0] as Sample).v : NaN };
    }
    case 'timestamp': {
      const arg = e.args[0] as Expr;
      const vec = ev.vectorArg(arg, ts);
      return mapVec((_v, s) => (s.ts ?? ts) / 1000, vec);
    }
    case 'round': {
      const toNearest = e.args[1] ? ev.scalarArg(e.args[1], ts) : 1;
      const inv = 1 / toNearest;
      return mapVec((v) => Math.floor(v * inv + 0.5) / inv);
    }
    case 'clamp': {
      const vec = ev.vectorArg(e.args[0] as Expr, ts);
      const lo = ev.scalarArg(e.args[1] as Expr, ts);
      const hi = ev.scalarArg(e.args[2] as Expr, ts);
      if (hi < lo) return { kind: 'vector', samples: [] };
      return mapVec((v) => goMax(lo, goMin(hi, v)), vec);
    }
    case 'clamp_min': { const vec = ev.vectorArg(e.args[0] as Expr, ts); const lo = ev.scalarArg(e.args[1] as Expr, ts); return mapVec((v) => goMax(lo, v), vec); }
    case 'clamp_max': { const vec = ev.vectorArg(e.args[0] as Expr, ts); const hi = ev.scalarArg(e.args[1] as Expr, ts); return mapVec((v) => goMin(hi, v), vec); }
    case 'absent': {
      const vec = ev.vectorArg(e.args[0] as Expr, ts);
      return { kind: 'vector', samples: vec.length > 0 ? [] : [{ metric: absentLabels(e.args[0] as Expr), v: 1, dropName: false }] };
    }
    case 'sort': case 'sort_desc': {
      const vec = [...ev.vectorArg(e.args[0] as Expr, ts)];
      const desc = f === 'sort_desc';
      vec.sort((a, b) => (Number.isNaN(a.v) ? (Number.isNaN(b.v) ? 0 : 1) : Number.isNaN(b.v) ? -1 : desc ? b.v - a.v : a.v - b.v));
      return { kind: 'vector', samples: vec };
    }
    case 'sort_by_label': case 'sort_by_label_desc': {
      const vec = [...ev.vectorArg(e.args[0] as Expr, ts)];
      const names = e.args.slice(1).map((a) => ev.stringArg(a, ts));
      const sign = f === 'sort_by_label_desc' ? -1 : 1;
      vec.sort((a, b) => {
        for (const n of names) {
          const x = a.metric[n] ?? ''; const y = b.metric[n] ?? '';
          if (x === y) continue;
          return sign * natCompare(x, y);
        }
        return sign * compareLabels(a.metric, b.metric);
      });
      return { kind: 'vector', samples: vec };
    }
    case 'label_replace': return labelReplace(ev, e, ts);
    case 'label_join': return labelJoin(ev, e, ts);
    case 'histogram_quantile': {
      const q = ev.scalarArg(e.args[0] as Expr, ts);
      return { kind: 'vector', samples: histogramQuantile(ev, q, ev.vectorArg(e.args[1] as Expr, ts)) };
    }
    case 'histogram_fraction': {
      const lo = ev.scalarArg(e.args[0] as Expr, ts);
      const hi = ev.scalarArg(e.args[1] as Expr, ts);
      return { kind: 'vector', samples: histogramFraction(ev, lo, hi, ev.vectorArg(e.args[2] as Expr, ts)) };
    }
    default: break;
  }
  throw new PromQLError(`function "${f}" is not supported for float samples`);
}

function goMax(a: number, b: number): number { return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b); }
function goMin(a: number, b: number): number { return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b); }

const VALID_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelReplace(ev: Evaluator, e: Call, ts: number): Value {
  const [vecE, dstE, replE, srcE, reE] = e.args as [Expr, Expr, Expr, Expr, Expr];
  const vec = ev.vectorArg(vecE, ts);
  const dst = ev.stringArg(dstE, ts);
  const repl = ev.stringArg(replE, ts);
  const src = ev.stringArg(srcE, ts);
  const reS = ev.stringArg(reE, ts);
  let re: RegExp;
  try { re = anchoredRegex(reS); } catch (err) {
    throw new PromQLError(`invalid regular expression in label_replace(): ${reS}`);
  }
  if (!VALID_LABEL.test(dst) && (dst === '' || hasInvalidUtf8(dst))) throw new PromQLError(`invalid destination label name in label_replace(): ${dst}`);
  const out: Sample[] = [];
  for (const s of vec) {
    const m = re.exec(s.metric[src] ?? '');
    if (!m) { out.push(s); continue; }
    const res = expandTemplate(repl, m);
    const metric = { ...s.metric };
    if (res === '') delete metric[dst]; else metric[dst] = res;
    out.push({ metric, v: s.v, dropName: dst === '__name__' ? false : s.dropName, ts: s.ts });
  }
  return { kind: 'vector', samples: out };
}

/** Go regexp.Expand: $1, ${1}, $name, ${name}, $$. */
function expandTemplate(t: string, m: RegExpExecArray): string {
  return t.replace(/\$(\$|\{([a-zA-Z0-9_]+)\}|([a-zA-Z0-9_]+))/g, (_all, d: string, braced?: string, bare?: string) => {
    if (d === '$') return '$';
    const name = braced ?? bare ?? '';
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    return m.groups?.[name] ?? '';
  });
}

function labelJoin(ev: Evaluator, e: Call, ts: number): Value {
  const vec = ev.vectorArg(e.args[0] as Expr, ts);
  const dst = ev.stringArg(e.args[1] as Expr, ts);
  const sep = ev.stringArg(e.args[2] as Expr, ts);
  const srcs = e.args.slice(3).map((a) => ev.stringArg(a, ts));
  if (dst === '' || hasInvalidUtf8(dst)) throw new PromQLError(`invalid destination label name in label_join(): ${dst}`);
  return {
    kind: 'vector',
    samples: vec.map((s) => {
      const res = srcs.map((n) => s.metric[n] ?? '').join(sep);
      const metric = { ...s.metric };
      if (res === '') delete metric[dst]; else metric[dst] = res;
      return { metric, v: s.v, dropName: dst === '__name__' ? false : s.dropName, ts: s.ts };
    }),
  };
}
