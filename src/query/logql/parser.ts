/**
 * LogQL text → Vigil's AST (ast.ts), through the official Lezer grammar. The grammar's binary
 * operator trees are right-leaning and ignore precedence, so chains are flattened and rebuilt
 * here with Prometheus precedence (the same as Loki's yacc grammar).
 */
import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import type { Micros } from '../../core/time.js';
import type { BinaryExpr, BinaryOp, Grouping, LogQLExpr, LogSelectorExpr, RangeAggregationExpr, RangeOp, SampleExpr, Stage, Unwrap, VectorOp } from './ast.js';
import { LogQLParseError } from './errors.js';
import { kids, listItems } from './parse-common.js';
import { describeSyntaxError, strayOffsetDuration } from './parse-errors.js';
import { PipelineReader } from './parse-pipeline.js';

export { toJsRegExp, unquoteGo } from './go-syntax.js';

/**
 * Parses a LogQL query. Called by the engine, the HTTP API (to validate) and the CLI.
 * Throws LogQLParseError (code BAD_QUERY) with the position of the first problem.
 */
export function parseLogQL(query: string): LogQLExpr {
  const tree = parser.parse(query);
  const syntaxError = describeSyntaxError(query, tree);
  if (syntaxError) throw syntaxError;
  const top = tree.topNode.getChild('Expr');
  if (!top) throw new LogQLParseError(query, 0, 'empty query', 'a log selector like {app="x"} or a metric query');
  return new Builder(query).expr(top);
}

/** Children of a node, in order. */
const PIPELINE_PREFIX = '{__pipeline__="x"} ';

/**
 * Parses pipeline stages alone (`| json | level="error"`), for agent transforms that reuse
 * LogQL's stages; positions in errors refer to `pipeline`. Throws LogQLParseError.
 */
export function parsePipelineStages(pipeline: string): Stage[] {
  let e: LogQLExpr;
  try {
    e = parseLogQL(PIPELINE_PREFIX + pipeline);
  } catch (err) {
    if (!(err instanceof LogQLParseError)) throw err;
    throw new LogQLParseError(pipeline, Math.max(0, err.position - PIPELINE_PREFIX.length), err.reason, err.expected);
  }
  if (e.kind !== 'log') throw new LogQLParseError(pipeline, 0, 'expected pipeline stages like | json | level="error"', 'pipeline stages');
  return e.stages;
}

const BIN_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Eql: '==', Neq: '!=', Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=',
  And: 'and', Or: 'or', Unless: 'unless',
};
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '>': 3, '>=': 3, '<': 3, '<=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6,
};
const RANGE_OPS = new Set<string>([
  'count_over_time', 'rate', 'rate_counter', 'bytes_over_time', 'bytes_rate', 'absent_over_time', 'sum_over_time',
  'avg_over_time', 'max_over_time', 'min_over_time', 'first_over_time', 'last_over_time', 'stddev_over_time',
  'stdvar_over_time', 'quantile_over_time',
]);
const UNWRAP_OPS = new Set<string>([
  'sum_over_time', 'avg_over_time', 'max_over_time', 'min_over_time', 'first_over_time', 'last_over_time',
  'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'rate', 'rate_counter', 'absent_over_time',
]);

interface Operand { expr: SampleExpr; at: number }

class Builder extends PipelineReader {
  expr(n: SyntaxNode): LogQLExpr {
    const c = n.firstChild;
    if (!c) this.fail(n, 'empty expression');
    if (c.name === 'LogExpr') return this.logExpr(c);
    if (c.name === 'MetricExpr') return this.metricExpr(c);
    return this.fail(c, `unexpected "${this.text(c)}"`);
  }

  protected sampleExpr(n: SyntaxNode): SampleExpr {
    const e = this.expr(n);
    if (e.kind === 'log') this.fail(n, 'a log query cannot be used here: wrap it in a range aggregation like count_over_time({...}[5m])');
    return e;
  }

  metricExpr(n: SyntaxNode): SampleExpr {
    const c = n.firstChild;
    if (!c) return this.fail(n, 'empty expression');
    switch (c.name) {
      case 'MetricExpr':
        return this.metricExpr(c); // parentheses
      case 'LiteralExpr':
        return { kind: 'literal', value: this.literal(c) };
      case 'VectorExpr':
        return { kind: 'vector', value: this.literal(this.need(c, 'Number', 'a number')) };
      case 'RangeAggregationExpr':
        return this.rangeAgg(c);
      case 'VectorAggregationExpr':
        return this.vectorAgg(c);
      case 'BinOpExpr':
        return this.binary(c);
      case 'LabelReplaceExpr': {
        const inner = this.metricExpr(this.need(c, 'MetricExpr', 'a metric expression'));
        const strs = c.getChildren('String').map((s) => this.string(s));
        if (strs.length !== 4) this.fail(c, 'label_replace needs (expr, "dst", "replacement", "src", "regex")');
        const [dst, replacement, src, regex] = strs as [string, string, string, string];
        return { kind: 'labelReplace', expr: inner, dst, replacement, src, regex };
      }
      default:
        return this.fail(c, `unsupported expression "${this.text(c)}"`);
    }
  }

  protected rangeAgg(n: SyntaxNode): RangeAggregationExpr {
    const opNode = this.need(n, 'RangeOp', 'a range function');
    const op = this.text(opNode);
    if (!RANGE_OPS.has(op)) this.fail(opNode, `unknown range function "${op}"`);
    const lr = this.need(n, 'LogRangeExpr', 'a log range like {app="x"}[5m]');
    const { selector, range, offset, unwrap } = this.logRange(lr);
    const stray = offset === 0 ? strayOffsetDuration(n) : undefined;
    const out: RangeAggregationExpr = { kind: 'range', op: op as RangeOp, selector, range, offset: stray ? this.duration(stray) : offset };
    if (unwrap) out.unwrap = unwrap;
    const param = n.getChild('Number');
    if (op === 'quantile_over_time') {
      if (!param) this.fail(opNode.to, 'quantile_over_time needs a quantile first, like quantile_over_time(0.99, ...)', 'a number');
      out.param = this.literal(param);
    } else if (param) this.fail(param, `${op} takes no parameter`);
    if (unwrap && !UNWRAP_OPS.has(op)) this.fail(opNode, `${op} cannot be used with unwrap; use sum_over_time, avg_over_time, ... or remove "| unwrap"`);
    if (!unwrap && UNWRAP_OPS.has(op) && op !== 'rate' && op !== 'absent_over_time') {
      this.fail(lr, `${op} needs an unwrapped label: add "| unwrap <label>" before the range`, '| unwrap <label>');
    }
    const g = n.getChild('Grouping');
    if (g) out.grouping = this.grouping(g);
    return out;
  }

  protected logRange(n: SyntaxNode): { selector: LogSelectorExpr; range: Micros; offset: Micros; unwrap?: Unwrap } {
    const inner = n.getChild('LogRangeExpr');
    if (inner) return this.logRange(inner);
    const sel = this.need(n, 'Selector', 'a log selector');
    const stages: Stage[] = [];
    for (const p of n.getChildren('PipelineExpr')) stages.push(...this.pipeline(p));
    const rangeNode = this.need(n, 'Range', 'a duration like [5m] after the log selector');
    const range = this.duration(this.need(rangeNode, 'Duration', 'a duration like [5m]'));
    if (range <= 0) this.fail(rangeNode, 'the range must be positive');
    const off = n.getChild('OffsetExpr');
    const offset = off ? this.duration(this.need(off, 'Duration', 'a duration after offset')) : 0;
    const uw = n.getChild('UnwrapExpr');
    const res: { selector: LogSelectorExpr; range: Micros; offset: Micros; unwrap?: Unwrap } = {
      selector: { kind: 'log', matchers: this.selector(sel), stages }, range, offset,
    };
    if (uw) res.unwrap = this.unwrap(uw);
    return res;
  }

  protected unwrap(n: SyntaxNode): Unwrap {
    const inner = n.getChild('UnwrapExpr');
    if (inner) {
      const u = this.unwrap(inner);
      for (const f of n.getChildren('LabelFilter')) u.postFilters.push(this.labelFilter(f));
      return u;
    }
    const u: Unwrap = { label: this.text(this.need(n, 'Identifier', 'a label name after unwrap')), postFilters: [] };
    const conv = n.getChild('ConvOp');
    if (conv) {
      const t = this.text(conv);
      u.conv = t === 'bytes' ? 'bytes' : t === 'duration_seconds' ? 'duration_seconds' : 'duration';
    }
    return u;
  }

  protected vectorAgg(n: SyntaxNode): SampleExpr {
    const opNode = this.need(n, 'VectorOp', 'an aggregation');
    const op = this.text(opNode) as VectorOp;
    const inner = this.metricExpr(this.need(n, 'MetricExpr', 'a metric expression'));
    const out: SampleExpr = { kind: 'vectorAgg', op, expr: inner };
    const param = n.getChild('Number');
    if (op === 'topk' || op === 'bottomk') {
      if (!param) this.fail(opNode.to, `${op} needs k first, like ${op}(5, ...)`, 'a number');
      const k = this.literal(param);
      if (!Number.isInteger(k) || k <= 0) this.fail(param, `${op}: k must be a positive integer, got ${this.text(param)}`);
      out.param = k;
    } else if (param) this.fail(param, `${op} takes no parameter`);
    const g = n.getChild('Grouping');
    if (g) out.grouping = this.grouping(g);
    return out;
  }

  protected grouping(n: SyntaxNode): Grouping {
    const labels = n.getChild('Labels');
    return { without: n.getChild('Without') !== null, labels: labels ? listItems(labels, 'Identifier').map((i) => this.text(i)) : [] };
  }

  protected binary(n: SyntaxNode): SampleExpr {
    const operands: Operand[] = [];
    const ops: Array<{ op: BinaryOp; mod: SyntaxNode | null; at: number }> = [];
    const flatten = (node: SyntaxNode): void => {
      const exprs = node.getChildren('Expr');
      const on = kids(node).find((c) => BIN_OPS[c.name] !== undefined);
      if (exprs.length !== 2 || !on) this.fail(node, 'incomplete binary expression');
      this.operand(exprs[0] as SyntaxNode, flatten, operands);
      ops.push({ op: BIN_OPS[on.name] as BinaryOp, mod: node.getChild('BinOpModifier'), at: on.from });
      this.operand(exprs[1] as SyntaxNode, flatten, operands);
    };
    flatten(n);
    // Precedence climbing over the flat chain; ^ is right-associative.
    let i = 0;
    const parse = (minPrec: number): SampleExpr => {
      let left = (operands[i] as Operand).expr;
      while (i < ops.length) {
        const o = ops[i] as { op: BinaryOp; mod: SyntaxNode | null; at: number };
        const p = PRECEDENCE[o.op];
        if (p < minPrec) break;
        i++;
        const right = parse(o.op === '^' ? p : p + 1);
        left = this.makeBinary(o.op, o.mod, o.at, left, right);
      }
      return left;
    };
    return parse(0);
  }

  protected operand(e: SyntaxNode, flatten: (n: SyntaxNode) => void, out: Operand[]): void {
    const m = e.firstChild;
    const b = m?.name === 'MetricExpr' ? m.firstChild : null;
    if (m && b && b.name === 'BinOpExpr') flatten(b);
    else out.push({ expr: this.sampleExpr(e), at: e.from });
  }

  protected makeBinary(op: BinaryOp, mod: SyntaxNode | null, at: number, left: SampleExpr, right: SampleExpr): BinaryExpr {
    const out: BinaryExpr = { kind: 'binary', op, bool: false, left, right };
    if (mod) {
      out.bool = mod.getChild('Bool') !== null;
      if (out.bool && PRECEDENCE[op] !== 3) this.fail(mod, 'bool modifier can only be used on comparison operators');
      const names = (gl: SyntaxNode | null): string[] => {
        const list = gl?.getChild('GroupingLabelList');
        return list ? listItems(list, 'GroupingLabel').map((g) => this.text(g)) : [];
      };
      const oi = mod.getChild('OnOrIgnoringModifier');
      if (oi) out.matching = { on: oi.getChild('On') !== null, labels: names(oi.getChild('GroupingLabels')) };
      const side = mod.getChild('GroupLeft') ? 'left' : mod.getChild('GroupRight') ? 'right' : undefined;
      if (side) {
        if (!oi) this.fail(mod, `group_${side} needs on(...) or ignoring(...) before it`);
        if (op === 'and' || op === 'or' || op === 'unless') this.fail(mod, `no grouping allowed for "${op}" operation`);
        const m = out.matching as NonNullable<BinaryExpr['matching']>;
        m.group = { side, include: names(mod.getChild('GroupingLabels')) };
        if (m.on) for (const l of m.group.include) if (m.labels.includes(l)) this.fail(mod, `label "${l}" must not occur in ON and GROUP clause at once`);
      }
    }
    const scalar = (e: SampleExpr): boolean => e.kind === 'literal';
    if ((op === 'and' || op === 'or' || op === 'unless') && (scalar(left) || scalar(right))) {
      this.fail(at, `set operator "${op}" not allowed in binary scalar expression`);
    }
    if (PRECEDENCE[op] === 3 && scalar(left) && scalar(right) && !out.bool) {
      this.fail(at, 'comparisons between scalars must use the bool modifier');
    }
    return out;
  }
}
