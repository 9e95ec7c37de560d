/** The embedded metrics store (see ARCHITECTURE.md, "Embedded store"). */
export { MetricsStoreConfigSchema, defaultMetricsStoreConfig, resolveMetricsStoreConfig } from './config.js';
export type { MetricsStoreConfig, ResolvedMetricsStoreConfig } from './config.js';
export { MetricsStore } from './metrics-store.js';
export { compareLabels } from './read.js';
export type { MetricsAppendResult, MetricsAppendSeries, MetricsStoreOptions, MetricsStoreStats } from './metrics-store.js';
export { encodeChunk, decodeChunk } from './gorilla.js';
