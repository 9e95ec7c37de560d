import type { AggregateExpr } from './ast.js';
import type { Evaluator } from './engine.js';
import { withoutName, type Labels } from './labels.js';
import { xxhash64 } from './xxhash.js';
import { STREAMING, groupKey, streamAggregate } from './aggregate-stream.js';
import { feedRange } from './functions.js';
import { goQuote, hasInvalidUtf8 } from './literals.js';
import { PromQLError, formatFloat, kahanSumInc, quantile, type Floats, type Sample } from './values.js';

interface Group {
  metric: Labels;
  samples: Sample[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Evaluates one aggregation at one step, grouping by/without labels as Prometheus does. */
export function aggregate(ev: Evaluator, e: AggregateExpr, ts: number): Sample[] {
  if (STREAMING.has(e.op)) {
    const idx = ev.groupIndex(e);
    idx.begin(e.op);
    if (feedRange(ev, e.expr, ts, idx)) return idx.finish();
    return streamAggregate(idx, e, ev.vectorArg(e.expr, ts));
  }
  const vec = ev.vectorArg(e.expr, ts);
  let param = NaN;
  let label = '';
  if (e.op === 'count_values') {
    label = ev.stringArg(e.param!, ts);
    if (!LABEL_NAME.test(label) && !isValidUtf8Name(label)) throw new PromQLError(`invalid label name ${goQuote(label)}`);
  } else if (e.param) {
    param = ev.scalarArg(e.param, ts);
  }
  const groups = new Map<string, Group>();
  let cache = groupKeyCache.get(e);
  if (!cache) { cache = new WeakMap(); groupKeyCache.set(e, cache); }
  for (const s of vec) {
    let gk = cache.get(s.metric);
    if (!gk) {
      gk = groupKey(e, s.metric);
      cache.set(s.metric, gk);
    }
    let g = groups.get(gk.key);
    if (!g) {
      g = { metric: s.dropName ? withoutName(gk.labels) : gk.labels, samples: [] };
      groups.set(gk.key, g);
    }
    g.samples.push(s);
  }
  switch (e.op) {
    case 'topk': case 'bottomk': case 'limitk': case 'limit_ratio':
      return selectK(ev, e.op, param, [...groups.values()]);
    case 'count_values': {
      const out: Sample[] = [];
      for (const g of groups.values()) {
        const counts = new Map<string, number>();
        for (const s of g.samples) { const t = formatFloat(s.v); counts.set(t, (counts.get(t) ?? 0) + 1); }
        for (const [t, c] of counts) out.push({ metric: { ...g.metric, [label]: t }, v: c, dropName: false });
      }
      return out;
    }
    case 'quantile':
      if (Number.isNaN(param) || param < 0 || param > 1) ev.ann.warn(`quantile value should be between 0 and 1, got ${formatFloat(param)}`);
      break;
    default: break;
  }
  const out: Sample[] = [];
  for (const g of groups.values()) out.push({ metric: g.metric, v: reduce(e.op, g.samples.map((s) => s.v), param), dropName: false });
  return out;
}

/** Grouping key per (aggregation node, series labels): series recur at every step. */
const groupKeyCache = new WeakMap<AggregateExpr, WeakMap<Labels, { key: string; labels: Labels }>>();

function isValidUtf8Name(s: string): boolean {
  return s.length > 0 && !hasInvalidUtf8(s);
}

function reduce(op: AggregateExpr['op'], vals: number[], param: number): number {
  const first = vals[0] as number;
  switch (op) {
    case 'sum': {
      let sum = 0; let c = 0;
      for (const v of vals) [sum, c] = kahanSumInc(v, sum, c);
      return sum + c;
    }
    case 'avg': return avg(vals);
    case 'count': return vals.length;
    case 'group': return 1;
    case 'min': {
      let m = first;
      for (const v of vals) if (m > v || Number.isNaN(m)) m = v;
      return m;
    }
    case 'max': {
      let m = first;
      for (const v of vals) if (m < v || Number.isNaN(m)) m = v;
      return m;
    }
    case 'stddev': case 'stdvar': {
      let n = 0; let mean = 0; let m2 = 0;
      for (const v of vals) {
        n++;
        const d = v - mean;
        mean += d / n;
        m2 += d * (v - mean);
      }
      const variance = m2 / n;
      return op === 'stddev' ? Math.sqrt(variance) : variance;
    }
    case 'quantile': return quantile(param, vals);
    default: throw new PromQLError(`unknown aggregation ${op}`);
  }
}

/** Prometheus's avg of vals[a, b): compensated sum, switching to an incremental mean if the sum would overflow. */
export function avg(vals: Floats, a = 0, b = vals.length): number {
  let sum = 0; let c = 0; let mean = 0; let count = 0; let incremental = false;
  for (let i = a; i < b; i++) {
    const f = vals[i] as number;
    count++;
    if (!incremental) {
      const [ns, nc] = kahanSumInc(f, sum, c);
      if (count === 1 || Number.isFinite(ns) || Number.isNaN(ns)) { sum = ns; c = nc; continue; }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(f) && !Number.isNaN(f) && (mean > 0) === (f > 0)) continue;
      if (Number.isFinite(f)) continue;
    }
    const corrected = mean + c;
    [mean, c] = kahanSumInc(f / count - corrected / count, mean, c);
  }
  return incremental ? mean + c : sum / count + c / count;
}

function selectK(ev: Evaluator, op: 'topk' | 'bottomk' | 'limitk' | 'limit_ratio', param: number, groups: Group[]): Sample[] {
  const out: Sample[] = [];
  if (op === 'limit_ratio') {
    let r = param;
    if (Number.isNaN(r)) throw new PromQLError(`Ratio value is NaN`);
    if (r > 1) { ev.ann.warn(`ratio value should be between -1 and 1, got ${formatFloat(r)}, capping to 1`); r = 1; }
    if (r < -1) { ev.ann.warn(`ratio value should be between -1 and 1, got ${formatFloat(r)}, capping to -1`); r = -1; }
    for (const g of groups) for (const s of g.samples) if (ratioKeep(r, s.metric)) out.push(s);
    return out;
  }
  if (Number.isNaN(param)) throw new PromQLError('Parameter value is NaN');
  if (param > Number.MAX_SAFE_INTEGER) param = Number.MAX_SAFE_INTEGER;
  if (param < -Number.MAX_SAFE_INTEGER) throw new PromQLError(`Scalar value ${param} overflows int64`);
  const k = Math.trunc(param);
  if (k < 1) return out;
  for (const g of groups) {
    if (op === 'limitk') { out.push(...g.samples.slice(0, k)); continue; }
    const desc = op === 'topk';
    const sorted = [...g.samples].sort((a, b) => {
      if (Number.isNaN(a.v)) return Number.isNaN(b.v) ? 0 : 1;
      if (Number.isNaN(b.v)) return -1;
      return desc ? b.v - a.v : a.v - b.v;
    });
    out.push(...sorted.slice(0, k));
  }
  return out;
}

/** limit_ratio keeps a series when its label hash falls in the ratio's slice of [0, 1). */
function ratioKeep(ratio: number, metric: Labels): boolean {
  const offset = labelHashFraction(metric);
  return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
}

const enc = new TextEncoder();

/** Prometheus's labels.Hash() (xxhash64 of name\xffvalue\xff pairs) scaled into [0, 1]. */
function labelHashFraction(metric: Labels): number {
  const parts: number[] = [];
  for (const k of Object.keys(metric).sort()) {
    parts.push(...enc.encode(k), 0xff, ...enc.encode(metric[k] ?? ''), 0xff);
  }
  return Number(xxhash64(Uint8Array.from(parts))) / 18446744073709551615;
}
