/**
 * LogQL for Vigil: parse (Lezer grammar → typed AST with positioned errors), compile pipelines,
 * evaluate over store/interfaces.ts with Loki's result shapes. The server, the CLI and the
 * agent's transforms import from here only.
 */
export type * from './ast.js';
export { parseLogQL, parsePipelineStages, toJsRegExp, unquoteGo } from './parser.js';
export { LogQLParseError, formatQueryError } from './errors.js';
export { LogQLEngine, defaultStep } from './engine.js';
export type { LiveEntry, LogQLEngineOptions, LogQLQuery, LokiQueryData, LokiStats, LokiSummaryStats } from './engine.js';
export type { LokiStreamResult } from './log-query.js';
export { compilePipeline, pushdownLineFilters, PipelineEntry } from './pipeline.js';
export type { CompiledPipeline, ProcessedGroup } from './pipeline.js';
export { compileLineFilter, compileStoreLineFilter, ipMatcher } from './line-filter.js';
export { compileLabelFilter } from './label-filter.js';
export { EntryLabels, ERROR_LABEL, ERROR_DETAILS_LABEL } from './entry-labels.js';
export { parseBytes, parseGoDurationSeconds } from './units.js';
