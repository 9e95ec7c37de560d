export { HostMetrics, toAppendSeries, type HostMetricsOptions } from './host-metrics.js';
export { HostMetricsSchema, type HostMetricsConfig, DEFAULT_DISK_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from './schema.js';
export { COLLECTOR_NAMES, type CollectorName } from './collectors/index.js';
export { formatText } from './text-format.js';
export type { MetricFamily, MetricSample, MetricType, StatfsResult } from './types.js';
