import type { ValueType } from './ast.js';

/** Argument and return types of a PromQL function, as Prometheus's parser checks them. */
export interface FunctionSpec {
  args: ValueType[];
  /** Number of trailing optional args (Prometheus "Variadic"; -1 = unbounded repeats of the last type). */
  variadic: number;
  returns: ValueType;
}

const v: ValueType = 'vector';
const m: ValueType = 'matrix';
const s: ValueType = 'scalar';
const str: ValueType = 'string';

const spec = (args: ValueType[], returns: ValueType, variadic = 0): FunctionSpec => ({ args, returns, variadic });

const instantMath = [
  'abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'sgn',
  'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh',
  'deg', 'rad', 'sort', 'sort_desc', 'histogram_count', 'histogram_sum', 'histogram_avg',
  'histogram_stddev', 'histogram_stdvar', 'timestamp', 'absent',
];
const overTime = [
  'avg_over_time', 'count_over_time', 'last_over_time', 'max_over_time', 'min_over_time',
  'present_over_time', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'mad_over_time',
  'ts_of_max_over_time', 'ts_of_min_over_time', 'ts_of_last_over_time',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'resets', 'changes', 'absent_over_time',
];
const dateFns = ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'];

export const FUNCTIONS: Record<string, FunctionSpec> = {
  clamp: spec([v, s, s], v),
  clamp_max: spec([v, s], v),
  clamp_min: spec([v, s], v),
  round: spec([v, s], v, 1),
  histogram_quantile: spec([s, v], v),
  histogram_fraction: spec([s, s, v], v),
  label_replace: spec([v, str, str, str, str], v),
  label_join: spec([v, str, str, str], v, -1),
  predict_linear: spec([m, s], v),
  quantile_over_time: spec([s, m], v),
  double_exponential_smoothing: spec([m, s, s], v),
  pi: spec([], s),
  time: spec([], s),
  scalar: spec([v], s),
  vector: spec([s], v),
  sort_by_label: spec([v, str], v, -1),
  sort_by_label_desc: spec([v, str], v, -1),
  info: spec([v, v], v, 1),
};
for (const f of instantMath) FUNCTIONS[f] = spec([v], v);
for (const f of overTime) FUNCTIONS[f] = spec([m], v);
for (const f of dateFns) FUNCTIONS[f] = spec([v], v, 1);
