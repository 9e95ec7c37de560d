/**
 * The metrics store's config schema (its descriptions are the user docs) and the resolved,
 * numeric form the store runs on. Durations in Prometheus syntax (`15d`), sizes bytes or `10GB`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { VigilError } from '../../core/errors.js';
import { parseDuration } from '../../core/time.js';
import { parseSize } from '../logs/config.js';

const Size = (description: string, def: number | string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]i?[bB]?|[bB])?\\s*$' })], {
    description,
    default: def,
  });

const Duration = (description: string, def: string) =>
  Type.String({ description, default: def, pattern: '^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$' });

export const MetricsStoreConfigSchema = Type.Object(
  {
    retention_period: Duration('Samples older than this (by sample time, relative to now) are deleted with their whole segment. "0s" keeps them forever.', '15d'),
    retention_size: Size('The oldest segments are deleted while chunk segments use more disk than this. 0 = unlimited.', 0),
    out_of_order_window: Duration(
      'Samples older than the newest sample of their series by at most this much are still accepted (while that series\' head holds them). "0s" = Prometheus\'s default: any older sample is refused as "out of order sample".',
      '0s',
    ),
    chunk_max_samples: Type.Integer({ minimum: 2, maximum: 65535, default: 240, description: 'A series\' head is cut into a chunk once it holds this many samples. Prometheus uses 120; 240 halves the per-chunk cost (a 19-byte header and a 64-byte catalog row): on real node_exporter data, 1.85 → 1.48 bytes per sample of chunks and chunk rows. Costs head memory: up to 16 bytes per sample held, per series.' }),
    chunk_max_span: Duration('A series\' head is cut into a chunk once its samples span this much time (Prometheus: 2h).', '2h'),
    max_head_age: Duration('A head holding samples for longer than this (wall clock since its first sample arrived) is cut, so idle series do not pin the write-ahead log.', '1h'),
    flush_interval: Duration(
      'How often cut chunks are written to one new segment file (one fsync for all of them) and the write-ahead log is truncated. Longer means fewer, larger segment files and a longer log to replay.',
      '5m',
    ),
    max_label_names_per_series: Type.Integer({ minimum: 1, default: 30, description: 'Series with more labels than this are rejected.' }),
    max_series_per_tenant: Type.Integer({ minimum: 1, default: 1_000_000, description: 'New series beyond this many per tenant are rejected.' }),
    chunk_index_period: Duration(
      'Where the committed chunks whose newest sample is this recent (relative to now) are on disk is kept in memory (about 56 bytes a chunk), so queries over them run no catalog statement; older chunks are looked up in the catalog. "0s" keeps every chunk in memory.',
      '1d',
    ),
    chunk_cache_size: Size(
      'Memory for decoded chunks kept for queries (least recently used go first), so dashboards refreshing the same range do not read and decode them again. About 2 KB per 120-sample chunk. 0 disables it.',
      '64MB',
    ),
  },
  { additionalProperties: false, description: 'The embedded metrics store.' },
);

export type MetricsStoreConfig = Static<typeof MetricsStoreConfigSchema>;

/** The config with durations in milliseconds and sizes in bytes. */
export interface ResolvedMetricsStoreConfig {
  retentionMs: number;
  retentionSize: number;
  outOfOrderWindowMs: number;
  chunkMaxSamples: number;
  chunkMaxSpanMs: number;
  maxHeadAgeMs: number;
  flushIntervalMs: number;
  maxLabelNames: number;
  maxSeriesPerTenant: number;
  chunkCacheBytes: number;
  chunkIndexPeriodMs: number;
}

const DEFAULTS: MetricsStoreConfig = {
  retention_period: '15d',
  retention_size: 0,
  out_of_order_window: '0s',
  chunk_max_samples: 240,
  chunk_max_span: '2h',
  max_head_age: '1h',
  flush_interval: '5m',
  max_label_names_per_series: 30,
  max_series_per_tenant: 1_000_000,
  chunk_index_period: '1d',
  chunk_cache_size: '64MB',
};

/** The defaults with `overrides` applied, for code that builds a config (tests, `vigil run`). */
export function defaultMetricsStoreConfig(overrides: Partial<MetricsStoreConfig> = {}): MetricsStoreConfig {
  return { ...DEFAULTS, ...overrides };
}

/** Turns a (schema-validated) config into numbers; throws CONFIG_INVALID naming every bad key. */
export function resolveMetricsStoreConfig(c: Partial<MetricsStoreConfig>): ResolvedMetricsStoreConfig {
  const issues: string[] = [];
  const dur = (key: 'retention_period' | 'out_of_order_window' | 'chunk_max_span' | 'max_head_age' | 'flush_interval' | 'chunk_index_period'): number => {
    const v = c[key] ?? DEFAULTS[key];
    const d = parseDuration(v);
    if (d === undefined) {
      issues.push(`${key}: not a duration: ${JSON.stringify(v)}`);
      return 0;
    }
    return Math.round(d / 1000);
  };
  const size = parseSize(c.retention_size ?? DEFAULTS.retention_size);
  if (size === undefined) issues.push(`retention_size: not a size: ${JSON.stringify(c.retention_size)}`);
  const cacheBytes = parseSize(c.chunk_cache_size ?? DEFAULTS.chunk_cache_size);
  if (cacheBytes === undefined) issues.push(`chunk_cache_size: not a size: ${JSON.stringify(c.chunk_cache_size)}`);
  const r: ResolvedMetricsStoreConfig = {
    retentionMs: dur('retention_period'),
    retentionSize: size ?? 0,
    outOfOrderWindowMs: dur('out_of_order_window'),
    chunkMaxSamples: c.chunk_max_samples ?? DEFAULTS.chunk_max_samples,
    chunkMaxSpanMs: dur('chunk_max_span'),
    maxHeadAgeMs: dur('max_head_age'),
    flushIntervalMs: dur('flush_interval'),
    maxLabelNames: c.max_label_names_per_series ?? DEFAULTS.max_label_names_per_series,
    maxSeriesPerTenant: c.max_series_per_tenant ?? DEFAULTS.max_series_per_tenant,
    chunkCacheBytes: cacheBytes ?? 0,
    chunkIndexPeriodMs: dur('chunk_index_period'),
  };
  if (r.chunkMaxSamples < 2 || r.chunkMaxSamples > 65535) issues.push('chunk_max_samples: must be in 2..65535');
  if (r.flushIntervalMs <= 0) issues.push('flush_interval: must be > 0');
  if (r.chunkMaxSpanMs <= 0) issues.push('chunk_max_span: must be > 0');
  if (issues.length > 0) throw new VigilError('CONFIG_INVALID', `metrics store config: ${issues.join('; ')}`, { issues });
  return r;
}
