/**
 * What every part of the LogQL parser shares: walking Lezer nodes, positioned errors, and
 * reading the leaf syntax (strings, matchers, numbers, durations, comparison operators).
 */
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher, MatchOp } from '../../core/labels.js';
import { parseDuration, type Micros } from '../../core/time.js';
import type { CompareOp } from './ast.js';
import { LogQLParseError } from './errors.js';
import { toJsRegExp, unquoteGo } from './go-syntax.js';

/** Children of a node, in order. */
export function kids(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** Items of a left-recursive list node (`Matchers`, `Labels`, ...), in source order. */
export function listItems(n: SyntaxNode, itemName: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const c of kids(n)) {
    if (c.name === n.name) out.push(...listItems(c, itemName));
    else if (c.name === itemName) out.push(c);
  }
  return out;
}

const MATCH_OPS: Record<string, MatchOp> = { Eq: '=', Neq: '!=', Re: '=~', Nre: '!~' };
const COMPARE_OPS: Record<string, CompareOp> = { Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=', Eql: '==', Eq: '==', Neq: '!=' };

/** Reads nodes of one query; every error it throws carries the node's position. */
export class NodeReader {
  constructor(protected readonly q: string) {}

  protected text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  protected fail(n: SyntaxNode | number, message: string, expected?: string): never {
    throw new LogQLParseError(this.q, typeof n === 'number' ? n : n.from, message, expected);
  }

  protected need(n: SyntaxNode, name: string, what: string): SyntaxNode {
    const c = n.getChild(name);
    if (!c) this.fail(n.to, `expected ${what}`, what);
    return c;
  }

  protected matcher(n: SyntaxNode): LabelMatcher {
    const [id, op, val] = kids(n);
    if (!id || !op || !val) return this.fail(n, 'incomplete label matcher', 'name="value"');
    const mop = MATCH_OPS[op.name];
    if (!mop) this.fail(op, `unknown matcher operator "${this.text(op)}"`);
    const value = this.string(val);
    if (mop === '=~' || mop === '!~') this.checkRegex(val, value);
    return { name: this.text(id), op: mop, value };
  }

  protected checkRegex(n: SyntaxNode, re: string): void {
    try {
      toJsRegExp(re);
    } catch (e) {
      this.fail(n, `invalid regular expression ${JSON.stringify(re)}: ${(e as Error).message}`);
    }
  }

  /** A String node (Go double-quoted or backquoted raw) to its value. */
  protected string(n: SyntaxNode): string {
    if (n.name !== 'String') this.fail(n, `expected a quoted string, got "${this.text(n)}"`, 'a quoted string');
    const t = this.text(n);
    try {
      return unquoteGo(t);
    } catch (e) {
      return this.fail(n, (e as Error).message);
    }
  }

  protected compareOp(n: SyntaxNode): CompareOp {
    const op = COMPARE_OPS[n.name];
    if (!op) this.fail(n, `unknown comparison "${this.text(n)}"`);
    return op;
  }

  protected literal(n: SyntaxNode): number {
    const t = this.text(n).replace(/\s+/g, '');
    const v = Number(t);
    if (Number.isNaN(v) && !/^[+-]?nan$/i.test(t)) this.fail(n, `invalid number "${t}"`);
    return v;
  }

  protected duration(n: SyntaxNode): Micros {
    const d = parseDuration(this.text(n));
    if (d === undefined) this.fail(n, `invalid duration "${this.text(n)}"`, 'a duration like 5m');
    return d;
  }

}

/** True when the matcher also matches the empty string (so it alone would select every stream). */
export function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=': return m.value === '';
    case '!=': return m.value !== '';
    case '=~': return toJsRegExp(`^(?:${m.value})$`).test('');
    case '!~': return !toJsRegExp(`^(?:${m.value})$`).test('');
  }
}

