import { COMPARISON_OPS, type BinaryExpr, type BinaryOp, type VectorMatching } from './ast.js';
import type { Evaluator } from './engine.js';
import { labelsKey, labelsString, type Labels } from './labels.js';
import { PromQLError, type Sample, type Value } from './values.js';

/** Float result of `l op r` and whether a filtering comparison keeps the element. */
function elemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+': return [l + r, true];
    case '-': return [l - r, true];
    case '*': return [l * r, true];
    case '/': return [l / r, true];
    case '%': return [l % r, true];
    case '^': return [Math.pow(l, r), true];
    case 'atan2': return [Math.atan2(l, r), true];
    case '==': return [l, l === r];
    case '!=': return [l, l !== r];
    case '>': return [l, l > r];
    case '<': return [l, l < r];
    case '>=': return [l, l >= r];
    case '<=': return [l, l <= r];
    default: throw new PromQLError(`operator "${op}" not allowed for scalar operations`);
  }
}

/** Evaluates a binary expression at one step (scalar/vector combinations, matching, set ops). */
export function evalBinary(ev: Evaluator, e: BinaryExpr, ts: number): Value {
  const lv = ev.eval(e.lhs, ts);
  const rv = ev.eval(e.rhs, ts);
  const isCmp = COMPARISON_OPS.has(e.op);
  if (lv.kind === 'scalar' && rv.kind === 'scalar') {
    const [v, keep] = elemBinop(e.op, lv.v, rv.v);
    return { kind: 'scalar', v: isCmp ? (keep ? 1 : 0) : v };
  }
  if (lv.kind === 'vector' && rv.kind === 'vector') {
    const m = e.matching ?? { card: 'one-to-one', on: false, labels: [], include: [] };
    switch (e.op) {
      case 'and': return { kind: 'vector', samples: setAnd(lv.samples, rv.samples, m) };
      case 'or': return { kind: 'vector', samples: setOr(lv.samples, rv.samples, m) };
      case 'unless': return { kind: 'vector', samples: setUnless(lv.samples, rv.samples, m) };
      default: return { kind: 'vector', samples: vectorBinop(e, lv.samples, rv.samples, m) };
    }
  }
  if (lv.kind === 'vector' && rv.kind === 'scalar') return { kind: 'vector', samples: vectorScalar(e, lv.samples, rv.v, false) };
  if (lv.kind === 'scalar' && rv.kind === 'vector') return { kind: 'vector', samples: vectorScalar(e, rv.samples, lv.v, true) };
  throw new PromQLError('binary expression must contain only scalar and instant vector types');
}

function vectorScalar(e: BinaryExpr, vec: Sample[], scalar: number, swap: boolean): Sample[] {
  const isCmp = COMPARISON_OPS.has(e.op);
  const out: Sample[] = [];
  for (const s of vec) {
    const l = swap ? scalar : s.v;
    const r = swap ? s.v : scalar;
    let [v, keep] = elemBinop(e.op, l, r);
    if (isCmp && swap) v = r;
    if (e.returnBool) { v = keep ? 1 : 0; keep = true; }
    if (!keep) continue;
    out.push({ metric: s.metric, v, dropName: s.dropName || !isCmp || e.returnBool });
  }
  return out;
}

/** Signature of a label set under on(...)/ignoring(...) matching (ignoring always drops __name__). */
function signer(m: VectorMatching): (l: Labels) => string {
  if (m.on) {
    const names = [...m.labels].sort();
    return (l) => names.map((n) => `${n}\xff${l[n] ?? ''}`).join('\xfe');
  }
  const skip = new Set(['__name__', ...m.labels]);
  return (l) => Object.keys(l).filter((k) => !skip.has(k)).sort().map((k) => `${k}\xff${l[k]}`).join('\xfe');
}

/**
 * Per binary-expression node, the signature of each label object and the result labels of each
 * (lhs, rhs) pair: the same series meet at every step of a range query, and label objects are
 * immutable (labels.ts), so both are computed once. Stable result objects also keep the
 * downstream labelsKey cache hitting.
 */
const sigCache = new WeakMap<BinaryExpr, WeakMap<Labels, string>>();
const resultCache = new WeakMap<BinaryExpr, WeakMap<Labels, WeakMap<Labels, Labels>>>();

function cachedSigner(e: BinaryExpr, m: VectorMatching): (l: Labels) => string {
  let c = sigCache.get(e);
  if (!c) { c = new WeakMap(); sigCache.set(e, c); }
  const cache = c;
  const sig = signer(m);
  return (l) => {
    let k = cache.get(l);
    if (k === undefined) { k = sig(l); cache.set(l, k); }
    return k;
  };
}

function cachedResultMetric(e: BinaryExpr, l: Labels, r: Labels, m: VectorMatching): Labels {
  let byL = resultCache.get(e);
  if (!byL) { byL = new WeakMap(); resultCache.set(e, byL); }
  let byR = byL.get(l);
  if (!byR) { byR = new WeakMap(); byL.set(l, byR); }
  let out = byR.get(r);
  if (!out) { out = resultMetric(l, r, m); byR.set(r, out); }
  return out;
}

function matchLabels(l: Labels, m: VectorMatching): Labels {
  const out: Labels = {};
  if (m.on) {
    for (const n of m.labels) if (l[n] !== undefined) out[n] = l[n];
  } else {
    const skip = new Set(['__name__', ...m.labels]);
    for (const [k, v] of Object.entries(l)) if (!skip.has(k)) out[k] = v;
  }
  return out;
}

function resultMetric(l: Labels, r: Labels, m: VectorMatching): Labels {
  const out: Labels = { ...l };
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const k of Object.keys(out)) if (!m.labels.includes(k)) delete out[k];
    } else {
      for (const k of m.labels) delete out[k];
    }
  }
  for (const n of m.include) {
    const v = r[n];
    if (v !== undefined && v !== '') out[n] = v; else delete out[n];
  }
  return out;
}

function vectorBinop(e: BinaryExpr, lhsIn: Sample[], rhsIn: Sample[], m: VectorMatching): Sample[] {
  if (m.card === 'many-to-many') throw new PromQLError('many-to-many only allowed for set operators');
  const isCmp = COMPARISON_OPS.has(e.op);
  const sig = cachedSigner(e, m);
  let lhs = lhsIn;
  let rhs = rhsIn;
  if (m.card === 'one-to-many') { lhs = rhsIn; rhs = lhsIn; }
  const right = new Map<string, Sample>();
  for (const rs of rhs) {
    const k = sig(rs.metric);
    const dup = right.get(k);
    if (dup) {
      const side = m.card === 'one-to-many' ? 'left' : 'right';
      throw new PromQLError(`found duplicate series for the match group ${labelsString(matchLabels(rs.metric, m))} on the ${side} hand-side of the operation: [${labelsString(rs.metric)}, ${labelsString(dup.metric)}];many-to-many matching not allowed: matching labels must be unique on one side`);
    }
    right.set(k, rs);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: Sample[] = [];
  for (const ls of lhs) {
    const k = sig(ls.metric);
    const rs = right.get(k);
    if (!rs) continue;
    let fl = ls.v;
    let fr = rs.v;
    if (m.card === 'one-to-many') { fl = rs.v; fr = ls.v; }
    let [v, keep] = elemBinop(e.op, fl, fr);
    if (e.returnBool) { v = keep ? 1 : 0; keep = true; }
    if (!keep) continue;
    const metric = cachedResultMetric(e, ls.metric, rs.metric, m);
    const prev = matched.get(k);
    if (m.card === 'one-to-one') {
      if (prev !== undefined) throw new PromQLError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.set(k, null);
    } else {
      const mk = labelsKey(metric);
      let set = prev ?? null;
      if (!set) { set = new Set(); matched.set(k, set); } else if (set.has(mk)) {
        throw new PromQLError('multiple matches for labels: grouping labels must ensure unique matches');
      }
      set.add(mk);
    }
    out.push({ metric, v, dropName: ls.dropName || !isCmp || e.returnBool });
  }
  return out;
}

function setAnd(l: Sample[], r: Sample[], m: VectorMatching): Sample[] {
  const sig = signer(m);
  const rs = new Set(r.map((s) => sig(s.metric)));
  return l.filter((s) => rs.has(sig(s.metric)));
}

function setOr(l: Sample[], r: Sample[], m: VectorMatching): Sample[] {
  const sig = signer(m);
  const ls = new Set(l.map((s) => sig(s.metric)));
  return [...l, ...r.filter((s) => !ls.has(sig(s.metric)))];
}

function setUnless(l: Sample[], r: Sample[], m: VectorMatching): Sample[] {
  const sig = signer(m);
  const rs = new Set(r.map((s) => sig(s.metric)));
  return l.filter((s) => !rs.has(sig(s.metric)));
}
