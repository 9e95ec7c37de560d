/** The embedded log store (see ARCHITECTURE.md, "Embedded store"). */
export { LogStoreConfigSchema, defaultLogStoreConfig, parseSize, resolveLogStoreConfig } from './config.js';
export type { LogStoreConfig, ResolvedLogStoreConfig } from './config.js';
export { LogStore } from './log-store.js';
export type { LogStoreDetailedStats, LogStoreOptions } from './log-store.js';
export type { CompactionResult, RetentionResult } from './maintenance.js';
