/**
 * Turns the first error node of a Lezer parse into a LogQLParseError with a message a person can
 * act on: what was expected, where (1-based line:column), and what was found instead.
 */
import type { Tree, SyntaxNode } from '@lezer/common';
import { LogQLParseError } from './errors.js';

/** The first syntax error of the tree, or undefined when it has none. Called by parseLogQL. */
export function describeSyntaxError(query: string, tree: Tree): LogQLParseError | undefined {
  if (query.trim() === '') return new LogQLParseError(query, 0, 'empty query', 'a log selector like {app="x"}');
  let err: SyntaxNode | undefined;
  tree.iterate({
    enter(n) {
      if (err) return false;
      if (n.type.isError) {
        if (isStrayOffset(n.node)) return false;
        err = n.node;
        return false;
      }
      return undefined;
    },
  });
  if (!err) return undefined;
  const lexical = lexicalError(query);
  if (lexical) return lexical;
  const at = err.from;
  const found = describeFound(query, at);
  const special = specialCase(query, at, err);
  if (special) return new LogQLParseError(query, at, special[0], special[1]);
  const ctx = contextOf(err);
  const [what, expected] = expectation(ctx, query, err);
  return new LogQLParseError(query, at, `${what}, found ${found}`, expected);
}

function describeFound(query: string, at: number): string {
  const rest = query.slice(at).trimStart();
  if (rest === '') return 'the end of the query';
  const tok = /^(\w+|"[^"]*"?|`[^`]*`?|\S)/.exec(rest);
  return `"${tok ? tok[0] : rest[0]}"`;
}

/** Names of the enclosing nodes, innermost first, and the previous sibling's name. */
function contextOf(n: SyntaxNode): { parents: string[]; prev: string | undefined } {
  const parents: string[] = [];
  for (let p = n.parent; p; p = p.parent) parents.push(p.name);
  return { parents, prev: n.prevSibling?.name };
}

function expectation(ctx: { parents: string[]; prev: string | undefined }, query: string, err: SyntaxNode): [string, string] {
  const [parent] = ctx.parents;
  const prevText = err.prevSibling ? query.slice(err.prevSibling.from, err.prevSibling.to) : '';
  if (parent === 'Matcher') {
    if (ctx.prev === 'Identifier') return [`expected a matcher operator (=, !=, =~, !~) after the label name "${prevText}"`, 'a matcher operator'];
    return [`expected a quoted value after "${prevText}"`, 'a quoted string'];
  }
  if (parent === 'Matchers' || parent === 'Selector') return ['expected a label matcher like app="x" or "}"', 'a label matcher'];
  if (parent === 'LogRangeExpr' || parent === 'RangeAggregationExpr') {
    if (ctx.prev === 'Range' || ctx.prev === 'OffsetExpr' || ctx.parents.includes('UnwrapExpr')) {
      return ['unexpected input after the range; offset goes right after the range, like {app="x"}[5m] offset 1h', ')'];
    }
    return ['expected a duration like [5m] after the log selector', 'a range like [5m]'];
  }
  if (parent === 'UnwrapExpr') return ['unexpected input in unwrap; write | unwrap <label> or | unwrap duration(<label>)', 'a label name'];
  if (parent === 'LineFilter' || parent === 'OrFilter') return ['expected a quoted string after the line filter', 'a quoted string'];
  if (parent === 'LabelFilter' || parent?.endsWith('Filter')) return ['expected a label filter like level="error" or status >= 500', 'a label filter'];
  if (parent === 'PipelineStage' || parent === 'PipelineExpr') {
    return ['expected a pipeline stage (json, logfmt, regexp, pattern, line_format, label_format, drop, keep, a label filter) after "|"', 'a pipeline stage'];
  }
  if (parent === 'VectorAggregationExpr') return ['expected a metric expression (like rate({app="x"}[5m])) inside the aggregation', 'a metric expression'];
  if (parent === 'Grouping' || parent === 'Labels') return ['expected label names in parentheses, like by (app)', 'label names'];
  if (parent === 'LiteralExpr' || parent === 'BinOpExpr') return ['expected a number or a metric expression', 'an expression'];
  if (ctx.parents.includes('LogExpr') && err.from === err.to && err.from >= query.trimEnd().length) return ['unexpected end of query', 'more input'];
  return ['unexpected input', 'a valid LogQL expression'];
}

/** Unterminated strings and unbalanced brackets, which confuse the grammar's own recovery. */
function lexicalError(query: string): LogQLParseError | undefined {
  const open: Array<{ c: string; at: number }> = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < query.length; i++) {
    const c = query[i] as string;
    if (c === '"' || c === '`') {
      const start = i;
      for (i++; i < query.length && query[i] !== c; i++) if (c === '"' && query[i] === '\\') i++;
      if (i >= query.length) return new LogQLParseError(query, start, `unterminated string starting at ${where(query, start)}`, `a closing ${c}`);
    } else if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '(' || c === '[' || c === '{') open.push({ c, at: i });
    else if (c === ')' || c === ']' || c === '}') {
      const o = open.pop();
      if (!o || o.c !== pairs[c]) return new LogQLParseError(query, i, `unexpected "${c}"${o ? ` : "${o.c}" at ${where(query, o.at)} is not closed` : ''}`, o ? closer(o.c) : undefined);
    }
  }
  const o = open.pop();
  if (o) return new LogQLParseError(query, o.at, `"${o.c}" is never closed: expected "${closer(o.c)}" before the end of the query`, closer(o.c));
  return undefined;
}

function closer(c: string): string {
  return c === '(' ? ')' : c === '[' ? ']' : '}';
}

function where(query: string, at: number): string {
  const before = query.slice(0, at).split('\n');
  return `${before.length}:${(before[before.length - 1] ?? '').length + 1}`;
}

function specialCase(query: string, at: number, err: SyntaxNode): [string, string] | undefined {
  const rest = query.slice(at);
  const word = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\()?/.exec(rest);
  if (word?.[1] === 'unwrap') return ['"| unwrap" only works inside a range aggregation, like sum_over_time({app="x"} | unwrap latency [5m])', 'a range aggregation'];
  if (word?.[2] && !err.parent?.name.includes('Filter')) return [`unknown function "${word[1]}"`, 'a LogQL function (rate, count_over_time, sum, ...)'];
  if (query[at - 1] === '[' || /^\s*\[/.test(rest)) {
    if (query[at - 1] === '[') return [`invalid duration "${/^[^\]]*/.exec(rest)?.[0] ?? ''}": write a duration like 5m, 1h or 30s`, 'a duration'];
    if (err.parent?.name === 'LogExpr' || err.parent?.name === 'Expr' || err.parent?.name === 'LogQL') {
      return ['a log range like {app="x"}[5m] must be inside a range aggregation, like count_over_time({app="x"}[5m])', 'a range aggregation'];
    }
  }
  return undefined;
}

/**
 * The 0.3.0 grammar has no rule for `offset` after a pipeline with unwrap
 * (`{a="b"} | json | unwrap x [5m] offset 1m`, valid in Loki): it wraps `offset` and its
 * duration in two error nodes. Those are accepted here and read by the parser (strayOffsetDuration).
 */
export function isStrayOffset(n: SyntaxNode): boolean {
  if (!n.type.isError) return false;
  const c = n.firstChild;
  if (c?.name === 'Offset' && !c.nextSibling) {
    const next = n.nextSibling;
    return next !== null && next.type.isError && next.firstChild?.name === 'Duration';
  }
  if (c?.name === 'Duration' && !c.nextSibling) {
    const prev = n.prevSibling;
    return prev !== null && prev.type.isError && prev.firstChild?.name === 'Offset';
  }
  return false;
}

/** The Duration node of a stray `offset <d>` under `n` (see isStrayOffset), if any. */
export function strayOffsetDuration(n: SyntaxNode): SyntaxNode | undefined {
  for (let c = n.firstChild; c; c = c.nextSibling) {
    if (isStrayOffset(c) && c.firstChild?.name === 'Duration') return c.firstChild;
    const inner = c.type.isError ? undefined : strayOffsetDuration(c);
    if (inner) return inner;
  }
  return undefined;
}
