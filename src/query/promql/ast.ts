/**
 * Vigil's own PromQL syntax tree. The parser (parser.ts) builds it from the
 * lezer-promql tree; the engine (engine.ts) evaluates it. Positions are offsets
 * (UTF-16 code units, as JS strings index) into the query text so errors can point at the culprit.
 */

import type { LabelMatcher } from '../../core/labels.js';
import { FUNCTIONS } from './function-specs.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

// Matchers are core's, so the metrics store can evaluate them with core/labels.ts.
export type { LabelMatcher, MatchOp } from '../../core/labels.js';

export interface PosRange {
  start: number;
  end: number;
}

/** `@` modifier: a fixed time in ms, or the query's start()/end(). */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  name: string | undefined;
  matchers: LabelMatcher[];
  /** Offset in ms (positive looks back). */
  offset: number;
  at: AtModifier | undefined;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  selector: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  rangeMs: number;
  /** 0 means "the default subquery step". */
  stepMs: number;
  offset: number;
  at: AtModifier | undefined;
  pos: PosRange;
}

export interface Call {
  type: 'Call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

export type AggregateOp =
  | 'sum' | 'min' | 'max' | 'avg' | 'group' | 'stddev' | 'stdvar' | 'count' | 'count_values'
  | 'bottomk' | 'topk' | 'quantile' | 'limitk' | 'limit_ratio';

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  param: Expr | undefined;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | 'atan2'
  | '==' | '!=' | '>' | '<' | '>=' | '<='
  | 'and' | 'or' | 'unless';

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  on: boolean;
  labels: string[];
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Present when both sides are vectors. */
  matching: VectorMatching | undefined;
  pos: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  pos: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

export type Expr =
  | NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | SubqueryExpr
  | Call | AggregateExpr | BinaryExpr | UnaryExpr | ParenExpr;

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

/** Static type of an expression, as Prometheus's parser computes it. */
export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral': return 'scalar';
    case 'StringLiteral': return 'string';
    case 'VectorSelector': return 'vector';
    case 'MatrixSelector': return 'matrix';
    case 'SubqueryExpr': return 'matrix';
    case 'Call': return FUNCTIONS[e.func]?.returns ?? 'vector';
    case 'AggregateExpr': return 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr': return exprType(e.expr);
    case 'ParenExpr': return exprType(e.expr);
  }
}
