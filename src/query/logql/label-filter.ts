/**
 * Label filters (`level="error"`, `status >= 500`, `latency > 250ms`, `size > 20KB`, `ip(...)`,
 * `and`/`or`) compiled to predicates over an entry's labels, with Loki's error behaviour:
 * a value that does not convert keeps the entry and sets `__error__=LabelFilterErr`; entries
 * already in error pass every numeric filter (only string matchers can drop them).
 */
import { compileMatcher } from '../../core/labels.js';
import type { CompareOp, LabelFilterExpr } from './ast.js';
import { EntryLabels, Errors } from './entry-labels.js';
import { ipMatcher } from './line-filter.js';
import { parseBytes, parseGoDurationSeconds } from './units.js';

export type LabelPredicate = (lbs: EntryLabels) => boolean;

/** Compiles a label filter expression. Throws BAD_QUERY for an invalid ip() pattern. */
export function compileLabelFilter(f: LabelFilterExpr): LabelPredicate {
  switch (f.type) {
    case 'and': {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (lbs) => {
        const a = l(lbs);
        const b = r(lbs); // both sides run, so conversion errors on either side are recorded as in Loki
        return a && b;
      };
    }
    case 'or': {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (lbs) => l(lbs) || r(lbs);
    }
    case 'string': {
      const m = compileMatcher(f.matcher);
      const name = f.matcher.name;
      return (lbs) => m(lbs.get(name));
    }
    case 'number':
      return numeric(f.name, f.op, f.value, (v) => {
        const t = v.trim();
        const n = t === '' ? Number.NaN : Number(t);
        return Number.isNaN(n) && !/^[+-]?nan$/i.test(t) ? `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax` : n;
      });
    case 'duration':
      return numeric(f.name, f.op, f.value / 1e6, (v) => parseGoDurationSeconds(v) ?? `time: invalid duration ${JSON.stringify(v)}`);
    case 'bytes':
      return numeric(f.name, f.op, f.value, (v) => parseBytes(v) ?? `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    case 'ip': {
      const m = ipMatcher(f.pattern);
      const neg = f.op === '!=';
      return (lbs) => {
        const v = lbs.get(f.name);
        if (v === undefined) return false;
        return m(v) !== neg;
      };
    }
  }
}

function numeric(name: string, op: CompareOp, want: number, conv: (v: string) => number | string): LabelPredicate {
  const cmp = COMPARE[op];
  return (lbs) => {
    if (lbs.hasError()) return true;
    const v = lbs.get(name);
    if (v === undefined) return false;
    const n = conv(v);
    if (typeof n === 'string') {
      lbs.setError(Errors.labelFilter, n);
      return true;
    }
    return cmp(n, want);
  };
}

const COMPARE: Record<CompareOp, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};
