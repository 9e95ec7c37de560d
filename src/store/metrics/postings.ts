/**
 * In-memory postings of one tenant: label name → value → its series, as Prometheus's head index
 * keeps them. A select intersects these instead of testing every matcher on every series: the
 * matcher with the fewest candidate series (an equality, or a regex over the few values of its
 * label) picks the candidates, and only those run the remaining matchers. Rebuilt from the
 * catalog's series at open (MetricsStore.load) and kept in step on series creation and deletion.
 */
import { compileMatcher, type LabelMatcher, type Labels } from '../../core/labels.js';

/** The part of a series the index needs (SeriesState satisfies it). */
export interface Posted {
  id: number;
  labels: Labels;
}

/** Compiled matchers, shared by every tenant (regex compilation dominated small selects). */
const compiled = new Map<string, (v: string | undefined) => boolean>();
const MAX_COMPILED = 4096;

/** `compileMatcher` memoised by (op, value): the function does not depend on the label name. */
export function cachedMatcher(m: LabelMatcher): (v: string | undefined) => boolean {
  const key = `${m.op}\u0000${m.value}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = compileMatcher(m);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, fn);
  }
  return fn;
}

/** Owned by MetricsStore, one per tenant. Lists hold series in insertion (= id) order. */
export class Postings<S extends Posted> {
  private readonly byName = new Map<string, Map<string, S[]>>();
  private readonly all = new Set<S>();

  get size(): number {
    return this.all.size;
  }

  add(s: S): void {
    if (this.all.has(s)) return;
    this.all.add(s);
    for (const name in s.labels) {
      const value = s.labels[name] as string;
      let values = this.byName.get(name);
      if (!values) {
        values = new Map();
        this.byName.set(name, values);
      }
      const list = values.get(value);
      if (list) list.push(s);
      else values.set(value, [s]);
    }
  }

  /** Removes series (retention forgot them): one pass over the lists they were in. */
  removeMany(gone: ReadonlySet<S>): void {
    const touched = new Map<string, Set<string>>();
    for (const s of gone) {
      if (!this.all.delete(s)) continue;
      for (const name in s.labels) {
        let vs = touched.get(name);
        if (!vs) touched.set(name, (vs = new Set()));
        vs.add(s.labels[name] as string);
      }
    }
    for (const [name, vs] of touched) {
      const values = this.byName.get(name);
      if (!values) continue;
      for (const v of vs) {
        const kept = (values.get(v) ?? []).filter((s) => !gone.has(s));
        if (kept.length > 0) values.set(v, kept);
        else values.delete(v);
      }
      if (values.size === 0) this.byName.delete(name);
    }
  }

  /**
   * Series matching every matcher (a missing label compares as ""), in no particular order.
   * Candidates come from the most selective matcher that needs its label to be non-empty; the
   * whole tenant is scanned only when no matcher does (`{job!="x"}`, `{a=~".*"}`).
   */
  select(matchers: readonly LabelMatcher[]): S[] {
    const fns = matchers.map((m) => ({ name: m.name, fn: cachedMatcher(m) }));
    let best: S[][] | undefined;
    let bestSize = Infinity;
    let bestIdx = -1;
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i] as LabelMatcher;
      const f = fns[i] as { fn: (v: string | undefined) => boolean };
      // A matcher that accepts "" also accepts series without the label: postings cannot bound it.
      if (f.fn('')) continue;
      const values = this.byName.get(m.name);
      if (!values) return [];
      let lists: S[][];
      if (m.op === '=') {
        const l = values.get(m.value);
        lists = l ? [l] : [];
      } else {
        lists = [];
        for (const [v, l] of values) if (f.fn(v)) lists.push(l);
      }
      let size = 0;
      for (const l of lists) size += l.length;
      if (size === 0) return [];
      if (size < bestSize) {
        best = lists;
        bestSize = size;
        bestIdx = i;
      }
    }
    const out: S[] = [];
    const test = (s: S): boolean => {
      for (let i = 0; i < fns.length; i++) {
        if (i === bestIdx) continue;
        const f = fns[i] as { name: string; fn: (v: string | undefined) => boolean };
        if (!f.fn(s.labels[f.name])) return false;
      }
      return true;
    };
    if (!best) {
      for (const s of this.all) if (test(s)) out.push(s);
      return out;
    }
    // A series has one value per label, so the lists of different values are disjoint.
    for (const l of best) for (const s of l) if (test(s)) out.push(s);
    return out;
  }
}
