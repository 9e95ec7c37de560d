import type { LabelMatcher, Labels } from '../../core/labels.js';
import { anchoredGoRegExp } from '../../core/regex.js';

/** A series' label set (core's type). Keys are label names; `__name__` holds the metric name. */
export type { Labels } from '../../core/labels.js';

const keyCache = new WeakMap<Labels, string>();

/**
 * Stable identity of a label set (sorted name/value pairs). Label objects are treated as
 * immutable once created, so the key is cached per object: series labels recur every step.
 */
export function labelsKey(l: Labels): string {
  let k = keyCache.get(l);
  if (k === undefined) {
    k = Object.keys(l).sort().map((n) => `${n}\xff${l[n]}`).join('\xfe');
    keyCache.set(l, k);
  }
  return k;
}

const nameless = new WeakMap<Labels, Labels>();

/** The label set without __name__ (cached per object, same immutability contract). */
export function withoutName(l: Labels): Labels {
  if (!('__name__' in l)) return l;
  let r = nameless.get(l);
  if (!r) {
    r = { ...l };
    delete r.__name__;
    nameless.set(l, r);
  }
  return r;
}

/** Prometheus's text form: `name{a="b", c="d"}`. */
export function labelsString(l: Labels): string {
  const name = l.__name__;
  const rest = Object.keys(l).filter((k) => k !== '__name__').sort().map((k) => `${k}=${JSON.stringify(l[k])}`);
  return `${name ?? ''}{${rest.join(', ')}}`;
}

/**
 * The label names of `l`, sorted. Most label objects are built in name order (the stores parse
 * canonical JSON), so the sort is skipped when the names already ascend: sorting them for every
 * comparison was the engine's largest allocation when ordering thousands of series.
 */
function namesOf(l: Labels): string[] {
  const k = Object.keys(l);
  for (let i = 1; i < k.length; i++) if ((k[i - 1] as string) > (k[i] as string)) return k.sort();
  return k;
}

/** Prometheus's labels.Compare order: pairwise by name, then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = namesOf(a);
  const kb = namesOf(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
    const vx = a[x] as string;
    const vy = b[y] as string;
    if (vx !== vy) return vx < vy ? -1 : 1;
  }
  return ka.length - kb.length;
}

const regexCache = new Map<string, RegExp>();

/** Anchored regex as Prometheus builds it for matchers and label_replace (`^(?s:re)$`), through core/regex.ts. */
export function anchoredRegex(re: string): RegExp {
  let r = regexCache.get(re);
  if (!r) {
    r = anchoredGoRegExp(re);
    regexCache.set(re, r);
  }
  return r;
}

export function matcherMatches(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=': return value === m.value;
    case '!=': return value !== m.value;
    case '=~': return anchoredRegex(m.value).test(value);
    case '!~': return !anchoredRegex(m.value).test(value);
  }
}

/** True when all matchers accept the label set (a missing label reads as ""). */
export function matchesAll(matchers: readonly LabelMatcher[], l: Labels): boolean {
  for (const m of matchers) if (!matcherMatches(m, l[m.name] ?? '')) return false;
  return true;
}
