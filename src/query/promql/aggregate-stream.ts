/**
 * The aggregations that fold values one at a time (sum, avg, count, group, min, max, stddev,
 * stdvar), evaluated without per-step groups: a range query's inner expression yields the same
 * series at every step, so each input series' group is found once per query and the values are
 * accumulated into typed arrays indexed by group.
 */
import type { AggregateExpr } from './ast.js';
import { labelsKey, withoutName, type Labels } from './labels.js';
import type { Sample } from './values.js';

type Op = AggregateExpr['op'];

/** Ops `streamAggregate` computes; the others (topk, quantile, count_values...) need every value. */
export const STREAMING: ReadonlySet<Op> = new Set<Op>(['sum', 'avg', 'count', 'group', 'min', 'max', 'stddev', 'stdvar']);

/** The by/without grouping labels of `metric` and their key (grouping ignores __name__ only under without). */
export function groupKey(e: AggregateExpr, metric: Labels): { key: string; labels: Labels } {
  const labels: Labels = {};
  if (e.without) {
    for (const [k, v] of Object.entries(metric)) if (k !== '__name__' && !e.grouping.includes(k)) labels[k] = v;
  } else {
    for (const k of e.grouping) { const v = metric[k]; if (v !== undefined) labels[k] = v; }
  }
  return { key: labelsKey(labels), labels };
}

/**
 * One aggregation node's groups for one query (held by the Evaluator): group id per input label
 * set (by object identity: series labels recur at every step) and per-group accumulators.
 */
export class GroupIndex implements SampleSink {
  private readonly ids = new WeakMap<Labels, number>();
  private readonly byKey = new Map<string, number>();
  readonly labels: Labels[] = [];
  /** The previous step's input order: usually identical, so a pointer compare finds the group. */
  prevMetric: Labels[] = [];
  prevId: number[] = [];
  step = 0;
  stamp = new Int32Array(8);
  drop = new Uint8Array(8);
  flag = new Uint8Array(8);
  n: Float64Array = new Float64Array(8);
  a: Float64Array = new Float64Array(8);
  c: Float64Array = new Float64Array(8);
  m: Float64Array = new Float64Array(8);

  op: Op = 'sum';
  readonly touched: number[] = [];

  constructor(private readonly e: AggregateExpr) {}

  /** Starts a step of `op` (one of STREAMING). */
  begin(op: Op): void { begin(this, op); }
  /** Adds one sample; `k` is its position in the input (the same series sits there at every step). */
  add(k: number, metric: Labels, v: number, dropName: boolean): void { add(this, k, metric, v, dropName); }
  /** The step's result, groups in order of first appearance. */
  finish(): Sample[] { return finish(this); }

  idOf(metric: Labels): number {
    let id = this.ids.get(metric);
    if (id !== undefined) return id;
    const gk = groupKey(this.e, metric);
    id = this.byKey.get(gk.key);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(gk.labels);
      this.byKey.set(gk.key, id);
      if (id >= this.stamp.length) this.grow(id + 1);
    }
    this.ids.set(metric, id);
    return id;
  }

  private grow(min: number): void {
    const size = Math.max(min, this.stamp.length * 2);
    const f64 = (x: Float64Array): Float64Array => { const y = new Float64Array(size); y.set(x); return y; };
    const s = new Int32Array(size); s.set(this.stamp); s.fill(-1, this.stamp.length); this.stamp = s;
    const d = new Uint8Array(size); d.set(this.drop); this.drop = d;
    const fl = new Uint8Array(size); fl.set(this.flag); this.flag = fl;
    this.n = f64(this.n); this.a = f64(this.a); this.c = f64(this.c); this.m = f64(this.m);
  }
}

/** Compensation term of the last `kadd` (a second return value without allocating a tuple). */
// A typed-array slot, not a `let`: storing a double into a module variable allocates a heap
// number on every call (this V8), one per series per step.
const KC = new Float64Array(1);

/** Prometheus's kahanSumInc: returns the new sum, leaves the new compensation in `KC[0]`. */
function kadd(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) KC[0] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) KC[0] = c + ((sum - t) + inc);
  else KC[0] = c + ((inc - t) + sum);
  return t;
}

/**
 * Aggregates `vec` with one of the STREAMING ops; same values, groups and order (first
 * appearance) as reducing each group's value list, with Prometheus's compensated sums and
 * avg's switch to an incremental mean on overflow. Called by `aggregate` at every step.
 */
export function streamAggregate(idx: GroupIndex, e: AggregateExpr, vec: readonly Sample[]): Sample[] {
  idx.begin(e.op);
  for (let i = 0; i < vec.length; i++) {
    const s = vec[i] as Sample;
    idx.add(i, s.metric, s.v, s.dropName);
  }
  return idx.finish();
}

/** Receives one step's samples without Sample objects; `k` is a position stable across steps. */
export interface SampleSink {
  add(k: number, metric: Labels, v: number, dropName: boolean): void;
}

/** The per-step accumulation of a GroupIndex: begin, add each sample, finish. */
function begin(idx: GroupIndex, op: Op): void {
  idx.step++;
  idx.op = op;
  idx.touched.length = 0;
}

function add(idx: GroupIndex, k: number, metric: Labels, v: number, dropName: boolean): void {
  const { prevMetric, prevId } = idx;
  let id: number;
  if (prevMetric[k] === metric) id = prevId[k] as number;
  else { id = idx.idOf(metric); prevMetric[k] = metric; prevId[k] = id; }
  // idOf may have grown the arrays: read them after it.
  const { stamp, n, a, c, m, flag } = idx;
  if (stamp[id] !== idx.step) {
    stamp[id] = idx.step;
    idx.touched.push(id);
    idx.drop[id] = dropName ? 1 : 0;
    n[id] = 0; a[id] = 0; c[id] = 0; m[id] = 0; flag[id] = 0;
  }
  const cnt = (n[id] as number) + 1;
  n[id] = cnt;
  switch (idx.op) {
    case 'sum':
      a[id] = kadd(v, a[id] as number, c[id] as number); c[id] = KC[0] as number;
      break;
    case 'min': {
      const x = a[id] as number;
      if (cnt === 1 || x > v || Number.isNaN(x)) a[id] = v;
      break;
    }
    case 'max': {
      const x = a[id] as number;
      if (cnt === 1 || x < v || Number.isNaN(x)) a[id] = v;
      break;
    }
    case 'stddev': case 'stdvar': {
      const mean = m[id] as number;
      const d = v - mean;
      const nm = mean + d / cnt;
      m[id] = nm;
      a[id] = (a[id] as number) + d * (v - nm);
      break;
    }
    case 'avg': avgAdd(idx, id, v, cnt); break;
    default: break;
  }
}

function finish(idx: GroupIndex): Sample[] {
  const { n, a, c, m, flag, drop, labels, touched, op } = idx;
  const out: Sample[] = new Array<Sample>(touched.length);
  for (let j = 0; j < touched.length; j++) {
    const id = touched[j] as number;
    const cnt = n[id] as number;
    let v: number;
    switch (op) {
      case 'sum': v = (a[id] as number) + (c[id] as number); break;
      case 'avg': v = flag[id] ? (m[id] as number) + (c[id] as number) : (a[id] as number) / cnt + (c[id] as number) / cnt; break;
      case 'count': v = cnt; break;
      case 'group': v = 1; break;
      case 'stddev': v = Math.sqrt((a[id] as number) / cnt); break;
      case 'stdvar': v = (a[id] as number) / cnt; break;
      default: v = a[id] as number; break;
    }
    const l = labels[id] as Labels;
    out[j] = { metric: drop[id] ? withoutName(l) : l, v, dropName: false };
  }
  return out;
}

/** One value into a group's avg (aggregations.ts `avg`, one step of its loop). */
function avgAdd(idx: GroupIndex, id: number, f: number, count: number): void {
  const { a, c, m, flag } = idx;
  if (!flag[id]) {
    const sum = a[id] as number;
    const ns = kadd(f, sum, c[id] as number);
    if (count === 1 || Number.isFinite(ns) || Number.isNaN(ns)) { a[id] = ns; c[id] = KC[0] as number; return; }
    flag[id] = 1;
    m[id] = sum / (count - 1);
    c[id] = (c[id] as number) / (count - 1);
  }
  const mean = m[id] as number;
  if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
    if (!Number.isFinite(f) && !Number.isNaN(f) && (mean > 0) === (f > 0)) return;
    if (Number.isFinite(f)) return;
  }
  const corrected = mean + (c[id] as number);
  m[id] = kadd(f / count - corrected / count, mean, c[id] as number);
  c[id] = KC[0] as number;
}
