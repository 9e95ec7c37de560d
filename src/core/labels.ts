import { anchoredGoRegExp } from './regex.js';

/**
 * Labels identify a stream (logs) or a series (metrics). Low cardinality by design:
 * service, host, level, source, filename. A stream's identity is its canonical key.
 */
export type Labels = Record<string, string>;

/** Sorted [name, value] pairs; the one order every encoder and hasher uses. */
export function sortedPairs(labels: Labels): Array<[string, string]> {
  return Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k] as string]);
}

/**
 * Canonical text of a label set in Prometheus/Loki notation: `{a="1", b="2"}` with sorted names
 * and Go-style escaping. Used as the stream key, in API responses and in error messages.
 */
export function formatLabels(labels: Labels): string {
  const parts: string[] = [];
  for (const [k, v] of sortedPairs(labels)) parts.push(`${k}=${JSON.stringify(v)}`);
  return `{${parts.join(', ')}}`;
}

/** The stable identity of a label set (same labels in any insertion order give the same key). */
export function streamKey(labels: Labels): string {
  return formatLabels(labels);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** True when `name` is a valid Prometheus/Loki label name. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** Replaces characters not allowed in label names with `_` (as Loki's sanitizer does for `| json`). */
export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher of a stream selector, e.g. `service=~"api|web"`. */
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Compiles a matcher into a predicate; regexes are fully anchored as in Prometheus. */
export function compileMatcher(m: LabelMatcher): (value: string | undefined) => boolean {
  switch (m.op) {
    case '=':
      return (v) => (v ?? '') === m.value;
    case '!=':
      return (v) => (v ?? '') !== m.value;
    case '=~': {
      const re = anchoredGoRegExp(m.value);
      return (v) => re.test(v ?? '');
    }
    case '!~': {
      const re = anchoredGoRegExp(m.value);
      return (v) => !re.test(v ?? '');
    }
  }
}

/** True when `labels` satisfy every matcher (a missing label compares as the empty string). */
export function matchesAll(labels: Labels, matchers: ReadonlyArray<LabelMatcher>): boolean {
  for (const m of matchers) if (!compileMatcher(m)(labels[m.name])) return false;
  return true;
}
