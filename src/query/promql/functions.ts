import type { Call, Expr, LabelMatcher } from './ast.js';
import type { Evaluator, LoadedSeries, RangeWindow } from './engine.js';
import { anchoredRegex, compareLabels, type Labels } from './labels.js';
import { PromQLError, kahanSumInc, quantile, formatFloat, type Floats, type RangeSeries, type Sample, type Value } from './values.js';
import { avg } from './aggregations.js';
import { hasInvalidUtf8 } from './literals.js';
import { histogramFraction, histogramQuantile } from './histogram-quantile.js';

type RangeFn = (s: RangeSeries, w: RangeWindow, ts: number, extra: number[]) => number | undefined;

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

function linearRegression(t: Floats, v: Floats, interceptTime: number): [number, number] {
  let n = 0; let sumX = 0; let cX = 0; let sumY = 0; let cY = 0; let sumXY = 0; let cXY = 0; let sumX2 = 0; let cX2 = 0;
  const initY = v[0] as number;
  let constY = true;
  for (let i = 0; i < t.length; i++) {
    const y = v[i] as number;
    if (constY && i > 0 && y !== initY) constY = false;
    n++;
    const x = ((t[i] as number) - interceptTime) / 1000;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) return Number.isFinite(initY) || Number.isNaN(initY) ? [0, initY] : [NaN, NaN];
  sumX += cX; sumY += cY; sumXY += cXY; sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

function extrapolatedRate(s: RangeSeries, w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  return extrapolatedRateAt(s.t, s.v, 0, s.v.length, w, isCounter, isRate);
}

/** rate/increase/delta over samples [a, b) of t/v (Prometheus's extrapolatedRate). */
function extrapolatedRateAt(t: Floats, vs: Floats, a: number, b: number, w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const n = b - a;
  if (n < 2) return undefined;
  const firstT = t[a] as number;
  const lastT = t[b - 1] as number;
  const firstV = vs[a] as number;
  let result = (vs[b - 1] as number) - firstV;
  if (isCounter) {
    let last = 0;
    for (let i = a; i < b; i++) { const v = vs[i] as number; if (v < last) result += last; last = v; }
  }
  let toStart = (firstT - w.start) / 1000;
  let toEnd = (w.end - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const avgStep = sampled / (n - 1);
  const threshold = avgStep * 1.1;
  let interval = sampled;
  if (toStart >= threshold) toStart = avgStep / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const toZero = sampled * (firstV / result);
    if (toZero < toStart) toStart = toZero;
  }
  interval += toStart;
  if (toEnd >= threshold) toEnd = avgStep / 2;
  interval += toEnd;
  let factor = interval / sampled;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

/**
 * rate/increase/delta straight over a matrix selector's loaded arrays (no view per series per
 * step); undefined when the argument is not a plain selector or holds staleness markers.
 */
function fastRate(ev: Evaluator, e: Call, ts: number): Value | undefined {
  const f = e.func;
  if ((f !== 'rate' && f !== 'increase' && f !== 'delta') || e.args.length !== 1) return undefined;
  let arg = e.args[0] as Expr;
  while (arg.type === 'ParenExpr') arg = arg.expr;
  if (arg.type !== 'MatrixSelector') return undefined;
  const win = ev.matrixWindows(arg, ts);
  if (!win) return undefined;
  const isCounter = f !== 'delta';
  const isRate = f === 'rate';
  const out: Sample[] = [];
  for (let k = 0; k < win.data.length; k++) {
    const s = win.data[k] as LoadedSeries;
    const a = win.i0[k] as number;
    const b = win.i1[k] as number;
    const v = extrapolatedRateAt(s.t, s.v, a, b, win.window, isCounter, isRate);
    if (v === undefined) continue;
    if (isCounter && !counterLike(s.labels.__name__ ?? '')) {
      ev.ann.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(s.labels.__name__ ?? '')}`);
    }
    out.push({ metric: s.labels, v, dropName: true });
  }
  return { kind: 'vector', samples: out };
}

function instantValue(s: RangeSeries, isRate: boolean): number | undefined {
  const n = s.v.length;
  if (n < 2) return undefined;
  const last = s.v[n - 1] as number;
  const prev = s.v[n - 2] as number;
  let r = isRate && last < prev ? last : last - prev;
  const dt = (s.t[n - 1] as number) - (s.t[n - 2] as number);
  if (dt === 0) return undefined;
  if (isRate) r /= dt / 1000;
  return r;
}

function stdvarOverTime(vals: Floats): number {
  let count = 0; let mean = 0; let cMean = 0; let aux = 0; let cAux = 0;
  for (const f of vals) {
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** Timestamp (s) of the last sample that wins `better` against the running extreme; NaN loses. */
function tsOfExtreme(s: RangeSeries, better: (v: number, m: number) => boolean): number {
  let m = s.v[0] as number;
  let t = s.t[0] as number;
  for (let i = 0; i < s.v.length; i++) {
    const v = s.v[i] as number;
    if (better(v, m) || Number.isNaN(m)) { m = v; t = s.t[i] as number; }
  }
  return t / 1000;
}

const RANGE_FNS: Record<string, RangeFn> = {
  rate: (s, w) => extrapolatedRate(s, w, true, true),
  increase: (s, w) => extrapolatedRate(s, w, true, false),
  delta: (s, w) => extrapolatedRate(s, w, false, false),
  irate: (s) => instantValue(s, true),
  idelta: (s) => instantValue(s, false),
  deriv: (s) => (s.v.length < 2 ? undefined : linearRegression(s.t, s.v, s.t[0] as number)[0]),
  predict_linear: (s, _w, ts, [d]) => {
    if (s.v.length < 2) return undefined;
    const [slope, icpt] = linearRegression(s.t, s.v, ts);
    return slope * (d as number) + icpt;
  },
  resets: (s) => { let r = 0; for (let i = 1; i < s.v.length; i++) if ((s.v[i] as number) < (s.v[i - 1] as number)) r++; return r; },
  changes: (s) => {
    let r = 0;
    for (let i = 1; i < s.v.length; i++) {
      const a = s.v[i] as number; const b = s.v[i - 1] as number;
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) r++;
    }
    return r;
  },
  avg_over_time: (s) => avg(s.v),
  sum_over_time: (s) => { let sum = 0; let c = 0; for (const v of s.v) [sum, c] = kahanSumInc(v, sum, c); return sum + c; },
  count_over_time: (s) => s.v.length,
  last_over_time: (s) => s.v[s.v.length - 1],
  first_over_time: (s) => s.v[0],
  present_over_time: () => 1,
  min_over_time: (s) => { let m = s.v[0] as number; for (const v of s.v) if (m > v || Number.isNaN(m)) m = v; return m; },
  max_over_time: (s) => { let m = s.v[0] as number; for (const v of s.v) if (m < v || Number.isNaN(m)) m = v; return m; },
  ts_of_min_over_time: (s) => tsOfExtreme(s, (v, m) => v <= m),
  ts_of_max_over_time: (s) => tsOfExtreme(s, (v, m) => v >= m),
  ts_of_last_over_time: (s) => (s.t[s.t.length - 1] as number) / 1000,
  stddev_over_time: (s) => Math.sqrt(stdvarOverTime(s.v)),
  stdvar_over_time: (s) => stdvarOverTime(s.v),
  quantile_over_time: (s, _w, _ts, [q]) => quantile(q as number, s.v),
  mad_over_time: (s) => { const med = quantile(0.5, s.v); return quantile(0.5, Array.from(s.v, (v) => Math.abs(v - med))); },
  double_exponential_smoothing: (s, _w, _ts, [sf, tf]) => {
    const n = s.v.length;
    if (n < 2) return undefined;
    let s0 = 0; let s1 = s.v[0] as number; let b = (s.v[1] as number) - (s.v[0] as number);
    for (let i = 1; i < n; i++) {
      if (i > 1) b = (tf as number) * (s1 - s0) + (1 - (tf as number)) * b;
      s0 = s1;
      s1 = (sf as number) * (s.v[i] as number) + (1 - (sf as number)) * (s0 + b);
    }
    return s1;
  },
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

/** Evaluates a function call at one step. */
export function callFunction(ev: Evaluator, e: Call, ts: number): Value {
  const f = e.func;
  const drop = !KEEP_NAME.has(f);
  if (f === 'absent_over_time') {
    const arg = e.args[0] as Expr;
    const { series } = ev.rangeArg(arg, ts);
    return { kind: 'vector', samples: series.length > 0 ? [] : [{ metric: absentLabels(arg), v: 1, dropName: false }] };
  }
  const fast = fastRate(ev, e, ts);
  if (fast) return fast;
  const rangeFn = RANGE_FNS[f];
  if (rangeFn) {
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
    const arg = e.args[mi] as Expr;
    const { series, window } = ev.rangeArg(arg, ts);
    const out: Sample[] = [];
    for (const s of series) {
      const v = rangeFn(s, window, ts, extra);
      if (v === undefined) continue;
      if ((f === 'rate' || f === 'increase') && s.v.length >= 2) {
        const name = s.metric.__name__ ?? '';
        if (!counterLike(name)) {
          ev.ann.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`);
        }
      }
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
