/**
 * Vigil's typed LogQL syntax tree. The parser (parser.ts) builds it from the Lezer tree of
 * `@grafana/lezer-logql`; the engine and the pipeline compiler consume only these types.
 */
import type { LabelMatcher } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';

/** `|>`/`!>` are pattern line filters (`<_>` wildcards). */
export type LineFilterOp = '|=' | '!=' | '|~' | '!~' | '|>' | '!>';

/** `|= "a" or "b"`: a line passes a positive filter when it matches any value, a negative one when it matches none. */
export interface LineFilterStage {
  kind: 'lineFilter';
  op: LineFilterOp;
  values: string[];
  /** `|= ip("10.0.0.0/8")`: values are IP patterns (address, range or CIDR). */
  ip?: boolean;
}

export interface JsonStage {
  kind: 'json';
  /** `| json a="b.c"`: only these labels, from these JSON paths. */
  params?: ExtractionParam[];
}

export interface LogfmtStage {
  kind: 'logfmt';
  strict: boolean;
  keepEmpty: boolean;
  params?: ExtractionParam[];
}

export interface ExtractionParam {
  label: string;
  /** JSON path (`b.c`, `b[0]`, `b["k"]`) or logfmt key; defaults to the label name. */
  path: string;
}

export interface RegexpStage { kind: 'regexp'; pattern: string }
export interface PatternStage { kind: 'pattern'; pattern: string }
export interface UnpackStage { kind: 'unpack' }
export interface DecolorizeStage { kind: 'decolorize' }
export interface LineFormatStage { kind: 'lineFormat'; template: string }

export interface LabelFormatItem {
  dst: string;
  /** `dst=src`: rename. */
  src?: string;
  /** `dst="{{.x}}"`: template. */
  template?: string;
}
export interface LabelFormatStage { kind: 'labelFormat'; items: LabelFormatItem[] }

/** A `drop`/`keep` item: a bare name, or a matcher that must hold for the label to be dropped/kept. */
export interface LabelSelectItem { name: string; matcher?: LabelMatcher }
export interface DropStage { kind: 'drop'; items: LabelSelectItem[] }
export interface KeepStage { kind: 'keep'; items: LabelSelectItem[] }

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

export type LabelFilterExpr =
  | { type: 'and' | 'or'; left: LabelFilterExpr; right: LabelFilterExpr }
  | { type: 'string'; matcher: LabelMatcher }
  | { type: 'number'; name: string; op: CompareOp; value: number }
  /** value in microseconds */
  | { type: 'duration'; name: string; op: CompareOp; value: Micros }
  /** value in bytes */
  | { type: 'bytes'; name: string; op: CompareOp; value: number }
  | { type: 'ip'; name: string; op: '=' | '!='; pattern: string };

export interface LabelFilterStage { kind: 'labelFilter'; filter: LabelFilterExpr }

export type Stage =
  | LineFilterStage
  | JsonStage
  | LogfmtStage
  | RegexpStage
  | PatternStage
  | UnpackStage
  | DecolorizeStage
  | LineFormatStage
  | LabelFormatStage
  | DropStage
  | KeepStage
  | LabelFilterStage;

export interface LogSelectorExpr {
  kind: 'log';
  matchers: LabelMatcher[];
  stages: Stage[];
}

export type RangeOp =
  | 'count_over_time' | 'rate' | 'rate_counter' | 'bytes_over_time' | 'bytes_rate' | 'absent_over_time'
  | 'sum_over_time' | 'avg_over_time' | 'max_over_time' | 'min_over_time' | 'first_over_time'
  | 'last_over_time' | 'stddev_over_time' | 'stdvar_over_time' | 'quantile_over_time';

export interface Unwrap {
  label: string;
  conv?: 'duration' | 'duration_seconds' | 'bytes';
  /** Label filters after the unwrap (`| unwrap x | __error__=""`). */
  postFilters: LabelFilterExpr[];
}

export interface Grouping { without: boolean; labels: string[] }

export interface RangeAggregationExpr {
  kind: 'range';
  op: RangeOp;
  /** quantile_over_time's φ. */
  param?: number;
  selector: LogSelectorExpr;
  range: Micros;
  offset: Micros;
  unwrap?: Unwrap;
  grouping?: Grouping;
}

export type VectorOp = 'sum' | 'avg' | 'count' | 'max' | 'min' | 'stddev' | 'stdvar' | 'bottomk' | 'topk' | 'sort' | 'sort_desc';

export interface VectorAggregationExpr {
  kind: 'vectorAgg';
  op: VectorOp;
  /** topk/bottomk's k. */
  param?: number;
  grouping?: Grouping;
  expr: SampleExpr;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '>' | '>=' | '<' | '<=' | 'and' | 'or' | 'unless';

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  /** `> bool`: comparisons return 0/1 instead of filtering. */
  bool: boolean;
  /** `on(...)` / `ignoring(...)`. */
  matching?: {
    on: boolean;
    labels: string[];
    /** `group_left(...)` (many on the left) / `group_right(...)`, with the labels copied from the "one" side. */
    group?: { side: 'left' | 'right'; include: string[] };
  };
  left: SampleExpr;
  right: SampleExpr;
}

export interface LiteralExpr { kind: 'literal'; value: number }
/** `vector(1)`. */
export interface VectorExpr { kind: 'vector'; value: number }
export interface LabelReplaceExpr {
  kind: 'labelReplace';
  expr: SampleExpr;
  dst: string;
  replacement: string;
  src: string;
  regex: string;
}

export type SampleExpr = RangeAggregationExpr | VectorAggregationExpr | BinaryExpr | LiteralExpr | VectorExpr | LabelReplaceExpr;

export type LogQLExpr = LogSelectorExpr | SampleExpr;
