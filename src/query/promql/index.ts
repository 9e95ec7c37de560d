/** Public surface of Vigil's PromQL engine (HTTP API, rules and the metrics store import from here). */
export { PromQLEngine, type EngineOptions, type QueryOptions, type InstantQueryResult, type RangeQueryResult } from './engine.js';
export { parsePromQL, PromQLParseError } from './parser.js';
export type * from './ast.js';
export { MemoryStorage } from './memory-storage.js';
export { STALE_NAN, isStaleNaN, type SeriesData, type SeriesQuerier } from './storage.js';
export { PromQLError, formatFloat, type Floats, type RangeSeries, type ResultSeries, type Sample, type Value } from './values.js';
export { labelsKey, labelsString, type Labels } from './labels.js';
export { runTestDir, runTestFile, type DirReport, type FileReport, type EvalFailure } from './promqltest.js';
