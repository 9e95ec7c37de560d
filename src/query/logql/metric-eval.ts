/**
 * Evaluates metric expressions over all steps at once: range aggregations read the store,
 * everything above them (vector aggregations, binary operators, label_replace) combines step
 * series in memory with Prometheus' semantics, as Loki does.
 */
import { formatLabels, type Labels } from '../../core/labels.js';
import type { BinaryExpr, BinaryOp, LabelReplaceExpr, SampleExpr, VectorAggregationExpr } from './ast.js';
import { queryError } from './errors.js';
import { toJsRegExp } from './go-syntax.js';
import { evalRangeAggregation, type EvalContext } from './range-agg.js';
import { groupLabels, newSeries, type Series, type Value } from './steps.js';

/** Evaluates any sample expression into step values. */
export async function evalSample(e: SampleExpr, ctx: EvalContext): Promise<Value> {
  const n = ctx.steps.n;
  switch (e.kind) {
    case 'literal':
      return { kind: 'scalar', vals: new Float64Array(n).fill(e.value) };
    case 'vector': {
      const s = newSeries({}, n);
      s.vals.fill(e.value);
      s.has.fill(1);
      return { kind: 'vector', series: [s] };
    }
    case 'range':
      return { kind: 'vector', series: checkSeriesLimit(await evalRangeAggregation(e, ctx), ctx) };
    case 'vectorAgg':
      return { kind: 'vector', series: checkSeriesLimit(vectorAggregate(e, await vectorOf(e.expr, ctx), n), ctx) };
    case 'binary':
      return binary(e, await evalSample(e.left, ctx), await evalSample(e.right, ctx), n);
    case 'labelReplace':
      return { kind: 'vector', series: labelReplace(e, await vectorOf(e.expr, ctx)) };
  }
}

/** Loki's series limit, checked per step as Loki's evaluators do. */
function checkSeriesLimit(series: Series[], ctx: EvalContext): Series[] {
  if (series.length <= ctx.maxSeries) return series;
  for (let i = 0; i < ctx.steps.n; i++) {
    let count = 0;
    for (const s of series) if (s.has[i] && ++count > ctx.maxSeries) {
      throw queryError(`maximum of series (${ctx.maxSeries}) reached for a single query; reduce the cardinality with more specific selectors, drop/keep or a by () aggregation`);
    }
  }
  return series;
}

async function vectorOf(e: SampleExpr, ctx: EvalContext): Promise<Series[]> {
  const v = await evalSample(e, ctx);
  if (v.kind !== 'vector') throw queryError('expected a vector expression, got a scalar');
  return v.series;
}

function vectorAggregate(e: VectorAggregationExpr, input: Series[], n: number): Series[] {
  if (e.op === 'sort' || e.op === 'sort_desc') return input; // ordering is applied to instant results by the engine
  if (e.op === 'topk' || e.op === 'bottomk') return topk(e, input, n);
  // Group membership is per series (labels do not change across steps).
  const groups = new Map<string, { labels: Labels; members: Series[] }>();
  for (const s of input) {
    const labels = groupLabels(s.labels, e.grouping ?? { without: false, labels: [] });
    const key = formatLabels(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, members: [] }));
    g.members.push(s);
  }
  const out: Series[] = [];
  for (const [key, g] of groups) {
    const r = newSeries(g.labels, n, key);
    let any = false;
    for (let i = 0; i < n; i++) {
      const vals: number[] = [];
      for (const m of g.members) if (m.has[i]) vals.push(m.vals[i] as number);
      if (vals.length === 0) continue;
      r.vals[i] = aggregate(e.op, vals);
      r.has[i] = 1;
      any = true;
    }
    if (any) out.push(r);
  }
  return out;
}

function aggregate(op: VectorAggregationExpr['op'], vals: number[]): number {
  switch (op) {
    case 'sum': return vals.reduce((a, b) => a + b, 0);
    case 'count': return vals.length;
    case 'avg': {
      let mean = 0;
      vals.forEach((v, i) => (mean += (v - mean) / (i + 1)));
      return mean;
    }
    case 'max': return vals.reduce((a, b) => (b > a || Number.isNaN(a) ? b : a));
    case 'min': return vals.reduce((a, b) => (b < a || Number.isNaN(a) ? b : a));
    case 'stddev':
    case 'stdvar': {
      let mean = 0;
      let m2 = 0;
      vals.forEach((v, i) => {
        const d = v - mean;
        mean += d / (i + 1);
        m2 += d * (v - mean);
      });
      const variance = m2 / vals.length;
      return op === 'stddev' ? Math.sqrt(variance) : variance;
    }
    default:
      throw queryError(`unsupported aggregation ${op}`);
  }
}

function topk(e: VectorAggregationExpr, input: Series[], n: number): Series[] {
  const k = e.param ?? 1;
  const top = e.op === 'topk';
  const out = input.map((s) => newSeries(s.labels, n, s.key));
  const groupKey = input.map((s) => formatLabels(groupLabels(s.labels, e.grouping ?? { without: false, labels: [] })));
  for (let i = 0; i < n; i++) {
    const groups = new Map<string, number[]>();
    input.forEach((s, j) => {
      if (!s.has[i]) return;
      const g = groupKey[j] as string;
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(j);
    });
    for (const list of groups.values()) {
      const v = (j: number): number => (input[j] as Series).vals[i] as number;
      // NaN sorts last for both, as in Prometheus
      list.sort((a, b) => {
        const x = v(a);
        const y = v(b);
        if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
        if (Number.isNaN(y)) return -1;
        return top ? y - x : x - y;
      });
      for (const j of list.slice(0, k)) {
        const o = out[j] as Series;
        o.vals[i] = v(j);
        o.has[i] = 1;
      }
    }
  }
  return out.filter((s) => s.has.some((h) => h === 1));
}

const ARITH: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '^': (a, b) => a ** b,
};
const CMP: Partial<Record<BinaryOp, (a: number, b: number) => boolean>> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

/** One element operation: the value and whether the element is kept. */
function elem(op: BinaryOp, a: number, b: number, bool: boolean): [number, boolean] {
  const ar = ARITH[op];
  if (ar) return [ar(a, b), true];
  const c = (CMP[op] as (a: number, b: number) => boolean)(a, b);
  if (bool) return [c ? 1 : 0, true];
  return [a, c];
}

function binary(e: BinaryExpr, l: Value, r: Value, n: number): Value {
  if (l.kind === 'scalar' && r.kind === 'scalar') {
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = elem(e.op, l.vals[i] as number, r.vals[i] as number, true)[0];
    return { kind: 'scalar', vals };
  }
  if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', series: vectorScalar(e, l.series, r.vals, false, n) };
  if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', series: vectorScalar(e, r.series, l.vals, true, n) };
  return { kind: 'vector', series: vectorVector(e, (l as { series: Series[] }).series, (r as { series: Series[] }).series, n) };
}

function vectorScalar(e: BinaryExpr, vec: Series[], scalar: Float64Array, swap: boolean, n: number): Series[] {
  const out: Series[] = [];
  for (const s of vec) {
    const o = newSeries(s.labels, n, s.key);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!s.has[i]) continue;
      const sv = s.vals[i] as number;
      const kv = scalar[i] as number;
      let [v, keep] = swap ? elem(e.op, kv, sv, e.bool) : elem(e.op, sv, kv, e.bool);
      // A comparison keeps the vector's value even when the scalar is on the left.
      if (swap && CMP[e.op] && !e.bool) v = sv;
      if (!keep) continue;
      o.vals[i] = v;
      o.has[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return out;
}

function signature(labels: Labels, matching: BinaryExpr['matching']): string {
  if (!matching) return formatLabels(labels);
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (matching.labels.includes(k) === matching.on) out[k] = v;
  return formatLabels(out);
}

function vectorVector(e: BinaryExpr, left: Series[], right: Series[], n: number): Series[] {
  const rightBySig = new Map<string, Series[]>();
  for (const s of right) {
    const sig = signature(s.labels, e.matching);
    const list = rightBySig.get(sig);
    if (list) list.push(s);
    else rightBySig.set(sig, [s]);
  }
  const hasAt = (list: Series[] | undefined, i: number): Series | undefined => list?.find((s) => s.has[i]);
  if (e.op === 'and' || e.op === 'unless') {
    return left.flatMap((s) => {
      const list = rightBySig.get(signature(s.labels, e.matching));
      const o = newSeries(s.labels, n, s.key);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!s.has[i] || (hasAt(list, i) !== undefined) !== (e.op === 'and')) continue;
        o.vals[i] = s.vals[i] as number;
        o.has[i] = 1;
        any = true;
      }
      return any ? [o] : [];
    });
  }
  if (e.op === 'or') {
    const leftSigs = new Map<string, Series[]>();
    for (const s of left) {
      const sig = signature(s.labels, e.matching);
      leftSigs.set(sig, [...(leftSigs.get(sig) ?? []), s]);
    }
    const rest = right.flatMap((s) => {
      const list = leftSigs.get(signature(s.labels, e.matching));
      const o = newSeries(s.labels, n, s.key);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!s.has[i] || hasAt(list, i)) continue;
        o.vals[i] = s.vals[i] as number;
        o.has[i] = 1;
        any = true;
      }
      return any ? [o] : [];
    });
    return [...left, ...rest];
  }
  if (e.matching?.group) return vectorVectorGrouped(e, left, right, n);
  const out = new Map<string, Series>();
  for (const s of left) {
    const sig = signature(s.labels, e.matching);
    const list = rightBySig.get(sig);
    if (!list) continue;
    let labels = s.labels;
    if (e.matching) {
      labels = {};
      for (const [k, v] of Object.entries(s.labels)) if (e.matching.labels.includes(k) === e.matching.on) labels[k] = v;
    }
    const key = formatLabels(labels);
    for (let i = 0; i < n; i++) {
      if (!s.has[i]) continue;
      const matches = list.filter((r) => r.has[i]);
      if (matches.length === 0) continue;
      if (matches.length > 1) throw queryError('found duplicate series for the match group on the right hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side');
      const [v, keep] = elem(e.op, s.vals[i] as number, (matches[0] as Series).vals[i] as number, e.bool);
      if (!keep) continue;
      let o = out.get(key);
      if (!o) out.set(key, (o = newSeries(labels, n, key)));
      else if (o.has[i]) throw queryError(`multiple matches for labels: many-to-one matching must be explicit (group_left/group_right), series ${key}`);
      o.vals[i] = v;
      o.has[i] = 1;
    }
  }
  return [...out.values()];
}

/**
 * Many-to-one (`group_left`) and one-to-many (`group_right`) matching, as Prometheus: each sample
 * of the "many" side meets the single sample of the "one" side with its signature; result labels
 * are the many side's plus the `include` labels copied from the one side.
 */
function vectorVectorGrouped(e: BinaryExpr, left: Series[], right: Series[], n: number): Series[] {
  const m = e.matching as NonNullable<BinaryExpr['matching']>;
  const group = m.group as { side: 'left' | 'right'; include: string[] };
  const [many, one] = group.side === 'left' ? [left, right] : [right, left];
  const oneBySig = new Map<string, Series[]>();
  for (const s of one) {
    const sig = signature(s.labels, m);
    oneBySig.set(sig, [...(oneBySig.get(sig) ?? []), s]);
  }
  const out = new Map<string, Series>();
  for (const s of many) {
    const candidates = oneBySig.get(signature(s.labels, m));
    if (!candidates) continue;
    for (let i = 0; i < n; i++) {
      if (!s.has[i]) continue;
      const matches = candidates.filter((c) => c.has[i]);
      if (matches.length === 0) continue;
      if (matches.length > 1) throw queryError(`found duplicate series for the match group on the ${group.side === 'left' ? 'right' : 'left'} hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side`);
      const o1 = matches[0] as Series;
      const [lv, rv] = group.side === 'left' ? [s.vals[i] as number, o1.vals[i] as number] : [o1.vals[i] as number, s.vals[i] as number];
      const [v, keep] = elem(e.op, lv, rv, e.bool);
      if (!keep) continue;
      const labels = { ...s.labels };
      for (const l of group.include) {
        const x = o1.labels[l];
        if (x) labels[l] = x;
        else delete labels[l];
      }
      const key = formatLabels(labels);
      let o = out.get(key);
      if (!o) out.set(key, (o = newSeries(labels, n, key)));
      else if (o.has[i]) throw queryError(`multiple matches for labels: grouping labels must ensure unique matches, series ${key}`);
      o.vals[i] = v;
      o.has[i] = 1;
    }
  }
  return [...out.values()];
}

function labelReplace(e: LabelReplaceExpr, input: Series[]): Series[] {
  let re: RegExp;
  try {
    re = toJsRegExp(`^(?:${e.regex})$`, 's');
  } catch (err) {
    throw queryError(`label_replace: invalid regular expression ${JSON.stringify(e.regex)}: ${(err as Error).message}`);
  }
  const out = new Map<string, Series>();
  for (const s of input) {
    const m = re.exec(s.labels[e.src] ?? '');
    let labels = s.labels;
    if (m) {
      const value = e.replacement.replace(/\$\{?(\w+)\}?/g, (_, g: string) => (/^\d+$/.test(g) ? (m[Number(g)] ?? '') : (m.groups?.[g] ?? '')));
      labels = { ...s.labels };
      if (value === '') delete labels[e.dst];
      else labels[e.dst] = value;
    }
    const key = formatLabels(labels);
    if (out.has(key)) throw queryError(`label_replace: vector cannot contain metrics with the same labelset ${key}`);
    out.set(key, { ...s, labels, key });
  }
  return [...out.values()];
}

