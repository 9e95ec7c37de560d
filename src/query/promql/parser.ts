import { parser as lezer } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import {
  COMPARISON_OPS, SET_OPS, exprType,
  type AggregateOp, type AtModifier, type BinaryOp, type Expr, type LabelMatcher, type MatchOp,
  type PosRange, type VectorMatching, type VectorSelector,
} from './ast.js';
import { FUNCTIONS } from './function-specs.js';
import { PromQLParseError, normalizeForLezer, typeName } from './parse-support.js';

export { PromQLParseError, typeName } from './parse-support.js';
import { anchoredRegex } from './labels.js';
import { parseDuration, parseNumber, unquoteString } from './literals.js';

const AGG_OPS = new Set<string>([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values',
  'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);

const BIN_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Atan2: 'atan2',
  Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=', And: 'and', Or: 'or', Unless: 'unless',
};

/**
 * Parses a PromQL query into Vigil's AST and type-checks it.
 * Called by the engine and the HTTP API; throws PromQLParseError (with position) on bad input.
 */
export function parsePromQL(query: string): Expr {
  const tree = lezer.parse(normalizeForLezer(query));
  const top = tree.topNode;
  let bad: SyntaxNode | undefined;
  tree.iterate({
    enter: (n) => {
      if (bad) return false;
      if (n.type.isError) { bad = n.node; return false; }
      return undefined;
    },
  });
  if (bad) {
    const at = bad.from;
    const tok = query.slice(at, Math.max(bad.to, at + 1)).trim();
    const fn = /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(query.slice(0, at));
    if (fn && query[at] === '(' && !FUNCTIONS[fn[1] as string]) {
      throw new PromQLParseError(`unknown function with name ${JSON.stringify(fn[1])}`, { start: fn.index, end: at }, query);
    }
    const msg = at >= query.trimEnd().length ? 'unexpected end of input' : `unexpected character or token ${JSON.stringify(tok)}`;
    throw new PromQLParseError(msg, { start: at, end: bad.to }, query);
  }
  const body = nonCommentChildren(top)[0];
  if (!body) throw new PromQLParseError('no expression found in input', { start: 0, end: query.length }, query);
  const b = new Builder(query);
  return b.expr(body);
}

function nonCommentChildren(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
  return out;
}

class Builder {
  constructor(private readonly q: string) {}

  private text(n: SyntaxNode): string { return this.q.slice(n.from, n.to); }
  private pos(n: SyntaxNode): PosRange { return { start: n.from, end: n.to }; }
  private fail(n: SyntaxNode | PosRange, msg: string): never {
    const p = 'start' in n ? n : this.pos(n);
    throw new PromQLParseError(msg, p, this.q);
  }

  expr(n: SyntaxNode): Expr {
    const kids = nonCommentChildren(n);
    switch (n.name) {
      case 'NumberDurationLiteral': {
        const v = parseNumber(this.text(n));
        if (v === undefined) this.fail(n, `bad number or duration syntax: "${this.text(n)}"`);
        return { type: 'NumberLiteral', value: v, pos: this.pos(n) };
      }
      case 'StringLiteral':
        return { type: 'StringLiteral', value: this.str(n), pos: this.pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector': {
        const [sel, dur] = kids;
        if (!sel || !dur) this.fail(n, 'invalid range selector');
        const inner = this.expr(sel);
        if (inner.type !== 'VectorSelector') {
          this.fail(n, `ranges only allowed for vector selectors`);
        }
        if (inner.offset !== 0 || inner.at) this.fail(n, 'no offset or @ modifiers allowed before range');
        const rangeMs = this.duration(dur);
        if (rangeMs <= 0) this.fail(dur, `duration must be greater than 0`);
        return { type: 'MatrixSelector', selector: inner, rangeMs, pos: this.pos(n) };
      }
      case 'SubqueryExpr': {
        const [inner, range, step] = kids;
        if (!inner || !range) this.fail(n, 'invalid subquery');
        const e = this.expr(inner);
        if (exprType(e) !== 'vector') {
          this.fail(n, `subquery is only allowed on instant vector, got ${typeName(exprType(e))} instead`);
        }
        const rangeMs = this.duration(range);
        const stepMs = step ? this.duration(step) : 0;
        if (rangeMs <= 0) this.fail(range, 'duration must be greater than 0');
        return { type: 'SubqueryExpr', expr: e, rangeMs, stepMs, offset: 0, at: undefined, pos: this.pos(n) };
      }
      case 'OffsetExpr': {
        const inner = kids[0];
        const dur = kids[kids.length - 1];
        if (!inner || !dur) this.fail(n, 'invalid offset');
        const e = this.expr(inner);
        const off = this.duration(dur);
        const target = modTarget(e);
        if (!target) this.fail(n, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
        if (target.offset !== 0) this.fail(n, 'offset may not be set multiple times');
        target.offset = off;
        return e;
      }
      case 'StepInvariantExpr': {
        const inner = kids[0];
        if (!inner) this.fail(n, 'invalid @ modifier');
        const e = this.expr(inner);
        const target = modTarget(e);
        if (!target) this.fail(n, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
        if (target.at) this.fail(n, '@ <timestamp> may not be set multiple times');
        const last = kids[kids.length - 1];
        if (!last) this.fail(n, 'invalid @ modifier');
        let at: AtModifier;
        if (last.name === 'AtModifierPreprocessors') {
          at = { kind: this.text(last).startsWith('start') ? 'start' : 'end' };
        } else {
          const v = parseNumber(this.text(last));
          if (v === undefined || !Number.isFinite(v)) this.fail(last, `timestamp out of bounds for @ modifier: ${this.text(last)}`);
          at = { kind: 'time', ms: Math.round(v * 1000) };
        }
        target.at = at;
        return e;
      }
      case 'ParenExpr': {
        const inner = kids[0];
        if (!inner) this.fail(n, 'empty parentheses');
        return { type: 'ParenExpr', expr: this.expr(inner), pos: this.pos(n) };
      }
      case 'UnaryExpr': {
        const [opN, inner] = kids;
        if (!opN || !inner) this.fail(n, 'invalid unary expression');
        const e = this.expr(inner);
        const t = exprType(e);
        if (t !== 'scalar' && t !== 'vector') this.fail(n, `unary expression only allowed on expressions of type scalar or instant vector, got ${typeName(t)}`);
        return { type: 'UnaryExpr', op: this.text(opN) === '-' ? '-' : '+', expr: e, pos: this.pos(n) };
      }
      case 'BinaryExpr':
        return this.binary(n, kids);
      case 'FunctionCall':
        return this.call(n, kids);
      case 'AggregateExpr':
        return this.aggregate(n, kids);
      default:
        return this.fail(n, `unexpected ${n.name}`);
    }
  }

  private str(n: SyntaxNode): string {
    const v = unquoteString(this.text(n));
    if (v === undefined) this.fail(n, `invalid string literal ${this.text(n)}`);
    return v;
  }

  private duration(n: SyntaxNode): number {
    const ms = parseDuration(this.text(n));
    if (ms === undefined) this.fail(n, `bad number or duration syntax: "${this.text(n)}"`);
    return ms;
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: LabelMatcher[] = [];
    for (const c of nonCommentChildren(n)) {
      if (c.name === 'Identifier' || c.name === 'MetricName') name = this.text(c);
      else if (c.name === 'LabelMatchers') {
        for (const m of nonCommentChildren(c)) {
          if (m.name === 'QuotedLabelName') {
            const s = m.firstChild;
            if (!s) this.fail(m, 'invalid metric name');
            const metric = this.str(s);
            if (name !== undefined) this.fail(m, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(metric)}`);
            name = metric;
            continue;
          }
          const parts = nonCommentChildren(m);
          const [ln, op, val] = parts;
          if (!ln || !op || !val) this.fail(m, 'invalid label matcher');
          const lname = ln.name === 'QuotedLabelName' && ln.firstChild ? this.str(ln.firstChild) : this.text(ln);
          const type = this.text(op) as MatchOp;
          const value = this.str(val);
          if (type === '=~' || type === '!~') {
            try { anchoredRegex(value); } catch (err) {
              const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
              this.fail(val, `invalid regular expression in label matcher: ${JSON.stringify(value)}: ${why}`);
            }
          }
          matchers.push({ name: lname, op: type, value });
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((x) => x.name === '__name__')) this.fail(n, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(matchers.find((x) => x.name === '__name__')?.value)}`);
      matchers.unshift({ name: '__name__', op: '=', value: name });
    } else {
      const useful = matchers.some((x) => !matchesEmpty(x));
      if (!useful) this.fail(n, 'vector selector must contain at least one non-empty matcher');
    }
    return { type: 'VectorSelector', name, matchers, offset: 0, at: undefined, pos: this.pos(n) };
  }

  private binary(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const lhsN = kids[0];
    const rhsN = kids[kids.length - 1];
    const opN = kids[1];
    if (!lhsN || !rhsN || !opN || kids.length < 3) this.fail(n, 'invalid binary expression');
    const op = BIN_OPS[opN.name];
    if (!op) this.fail(opN, `unknown binary operator ${this.text(opN)}`);
    let returnBool = false;
    let matching: VectorMatching | undefined;
    for (const c of kids.slice(2, -1)) {
      if (c.name === 'BoolModifier') returnBool = true;
      else if (c.name === 'MatchingModifierClause') matching = this.matching(c);
    }
    // lezer folds a leading sign into the literal; Prometheus binds unary minus looser than ^.
    if (op === '^' && lhsN.name === 'NumberDurationLiteral' && /^[+-]/.test(this.text(lhsN))) {
      const txt = this.text(lhsN);
      const abs = parseNumber(txt.slice(1));
      if (abs !== undefined) {
        const inner: Expr = {
          type: 'BinaryExpr', op, lhs: { type: 'NumberLiteral', value: abs, pos: { start: lhsN.from + 1, end: lhsN.to } },
          rhs: this.expr(rhsN), returnBool, matching: undefined, pos: { start: lhsN.from + 1, end: n.to },
        };
        this.checkBinary(inner, n);
        return { type: 'UnaryExpr', op: txt[0] === '-' ? '-' : '+', expr: inner, pos: this.pos(n) };
      }
    }
    const lhs = this.expr(lhsN);
    const rhs = this.expr(rhsN);
    const e: Expr = { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos: this.pos(n) };
    this.checkBinary(e, n);
    return e;
  }

  private checkBinary(e: Expr & { type: 'BinaryExpr' }, n: SyntaxNode): void {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const isCmp = COMPARISON_OPS.has(e.op);
    const isSet = SET_OPS.has(e.op);
    if (e.returnBool && !isCmp) this.fail(n, 'bool modifier can only be used on comparison operators');
    if (isCmp && lt === 'scalar' && rt === 'scalar' && !e.returnBool) this.fail(n, 'comparisons between scalars must use BOOL modifier');
    for (const t of [lt, rt]) {
      if (t !== 'scalar' && t !== 'vector') this.fail(n, `binary expression must contain only scalar and instant vector types`);
    }
    if (isSet && (lt === 'scalar' || rt === 'scalar')) {
      this.fail(n, `set operator "${e.op}" not allowed in binary scalar expression`);
    }
    if (lt === 'vector' && rt === 'vector') {
      e.matching ??= { card: isSet ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
      if (isSet) {
        if (e.matching.card === 'many-to-one' || e.matching.card === 'one-to-many') this.fail(n, 'no grouping allowed for "' + e.op + '" operation');
        e.matching.card = 'many-to-many';
      }
      if (e.matching.on) {
        for (const l of e.matching.include) {
          if (e.matching.labels.includes(l)) this.fail(n, `label "${l}" must not occur in ON and GROUP clause at once`);
        }
      }
    } else if (e.matching && (e.matching.on || e.matching.labels.length > 0 || e.matching.card !== 'one-to-one')) {
      this.fail(n, 'vector matching only allowed between instant vectors');
    } else {
      e.matching = undefined;
    }
  }

  private matching(c: SyntaxNode): VectorMatching {
    const m: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    let target: 'labels' | 'include' = 'labels';
    for (const k of nonCommentChildren(c)) {
      if (k.name === 'On') { m.on = true; target = 'labels'; }
      else if (k.name === 'Ignoring') { m.on = false; target = 'labels'; }
      else if (k.name === 'GroupLeft') { m.card = 'many-to-one'; target = 'include'; }
      else if (k.name === 'GroupRight') { m.card = 'one-to-many'; target = 'include'; }
      else if (k.name === 'GroupingLabels') m[target] = this.grouping(k);
    }
    return m;
  }

  private grouping(n: SyntaxNode): string[] {
    return nonCommentChildren(n).map((l) => (l.name === 'QuotedLabelName' && l.firstChild ? this.str(l.firstChild) : l.name === 'StringLiteral' ? this.str(l) : this.text(l)));
  }

  private call(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const idN = kids.find((k) => k.name === 'FunctionIdentifier');
    const bodyN = kids.find((k) => k.name === 'FunctionCallBody');
    if (!idN) this.fail(n, 'invalid function call');
    const name = this.text(idN);
    const spec = FUNCTIONS[name];
    if (!spec) this.fail(idN, `unknown function with name "${name}"`);
    const args = bodyN ? nonCommentChildren(bodyN).map((a) => this.expr(a)) : [];
    const min = spec.args.length - (spec.variadic > 0 ? spec.variadic : spec.variadic < 0 ? 1 : 0);
    const max = spec.variadic < 0 ? Infinity : spec.args.length;
    if (args.length < min || args.length > max) {
      const expected = spec.variadic === 0 ? `${spec.args.length}` : spec.variadic < 0 ? `at least ${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
      this.fail(n, `expected ${expected} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want = spec.args[Math.min(i, spec.args.length - 1)] ?? 'vector';
      const got = exprType(a);
      if (got !== want) {
        this.fail(a.pos, `expected type ${typeName(want)} in call to function "${name}", got ${typeName(got)}`);
      }
    });
    return { type: 'Call', func: name, args, pos: this.pos(n) };
  }

  private aggregate(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const opN = kids.find((k) => k.name === 'AggregateOp');
    const modN = kids.find((k) => k.name === 'AggregateModifier');
    const bodyN = kids.find((k) => k.name === 'FunctionCallBody');
    if (!opN || !bodyN) this.fail(n, 'invalid aggregation');
    const op = this.text(opN).toLowerCase();
    if (!AGG_OPS.has(op)) this.fail(opN, `unknown aggregation operator ${op}`);
    const args = nonCommentChildren(bodyN).map((a) => this.expr(a));
    const needsParam = ['count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'].includes(op);
    const wantArgs = needsParam ? 2 : 1;
    if (args.length !== wantArgs) {
      this.fail(bodyN, `wrong number of arguments for aggregate expression provided, expected ${wantArgs}, got ${args.length}`);
    }
    const expr = args[args.length - 1] as Expr;
    const param = needsParam ? args[0] : undefined;
    if (exprType(expr) !== 'vector') this.fail(expr.pos, `expected type instant vector in aggregation expression, got ${typeName(exprType(expr))}`);
    if (param) {
      const want = op === 'count_values' ? 'string' : 'scalar';
      if (exprType(param) !== want) this.fail(param.pos, `expected type ${typeName(want)} in aggregation parameter, got ${typeName(exprType(param))}`);
    }
    let grouping: string[] = [];
    let without = false;
    if (modN) {
      for (const k of nonCommentChildren(modN)) {
        if (k.name === 'Without') without = true;
        else if (k.name === 'GroupingLabels') grouping = this.grouping(k);
      }
    }
    return { type: 'AggregateExpr', op: op as AggregateOp, expr, param, grouping, without, pos: this.pos(n) };
  }

}

function modTarget(e: Expr): { offset: number; at: AtModifier | undefined } | undefined {
  // lezer-promql binds `offset`/`@` looser than operators; Prometheus applies them to the
  // selector right before them, i.e. the rightmost operand.
  while (e.type === 'BinaryExpr' || e.type === 'UnaryExpr') e = e.type === 'BinaryExpr' ? e.rhs : e.expr;
  if (e.type === 'VectorSelector') return e;
  if (e.type === 'MatrixSelector') return e.selector;
  if (e.type === 'SubqueryExpr') return e;
  return undefined;
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=': return m.value === '';
    case '!=': return m.value !== '';
    case '=~': return anchoredRegex(m.value).test('');
    case '!~': return !anchoredRegex(m.value).test('');
  }
}
