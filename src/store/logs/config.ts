/**
 * The log store's config schema (its descriptions are the user docs) and the resolved, numeric
 * form the store runs on. Durations use Loki's syntax (`744h`), sizes bytes or `10GB`-style text.
 */
import { Type, type Static } from '@sinclair/typebox';
import { VigilError } from '../../core/errors.js';
import { parseDuration, type Micros } from '../../core/time.js';

const Size = (description: string, def: number | string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]i?[bB]?|[bB])?\\s*$' })], {
    description,
    default: def,
  });

const Duration = (description: string, def: string) =>
  Type.String({ description, default: def, pattern: '^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$' });

export const LogStoreConfigSchema = Type.Object(
  {
    retention_period: Duration('Entries older than this are deleted (whole chunks). "0s" keeps them forever.', '744h'),
    retention_size: Size('Per tenant, the oldest segments are deleted while the tenant uses more disk than this. 0 = unlimited.', 0),
    chunk_target_size: Size('Raw (uncompressed) bytes of lines after which a stream\'s head is cut into a chunk.', 1_572_864),
    chunk_idle_period: Duration('A stream that received nothing for this long has its head cut into a chunk.', '30m'),
    max_chunk_age: Duration('A head older than this (since its first entry arrived) is cut into a chunk.', '1h'),
    wal_sync: Type.Literal('always', {
      description: 'When the write-ahead log is fsynced: "always" = before each append is acknowledged (concurrent appends share one fsync).',
      default: 'always',
    }),
    max_label_names_per_series: Type.Integer({ minimum: 1, default: 15, description: 'Streams with more labels than this are rejected.' }),
    max_label_name_length: Type.Integer({ minimum: 1, default: 1024, description: 'Streams with a longer label name are rejected.' }),
    max_label_value_length: Type.Integer({ minimum: 1, default: 2048, description: 'Streams with a longer label value are rejected.' }),
    max_streams_per_tenant: Type.Integer({ minimum: 1, default: 10_000, description: 'Active streams (with entries not yet in chunks) per tenant; entries for more are rejected, as in Loki.' }),
    max_line_size: Size('Lines longer than this (UTF-8 bytes) are rejected, as Loki does by default; 0 = unlimited.', 262_144),
    max_structured_metadata_size: Type.Optional(
      Size('Entries whose structured metadata (keys + values, UTF-8 bytes) is larger than this are rejected, as in Loki; 0 = unlimited.', 65_536),
    ),
    max_structured_metadata_entries_count: Type.Optional(
      Type.Integer({ minimum: 0, default: 128, description: 'Entries with more structured metadata pairs than this are rejected, as in Loki; 0 = unlimited.' }),
    ),
    reject_old_samples_max_age: Duration('Entries older than this (relative to now) are rejected. "0s" accepts any age.', '168h'),
    creation_grace_period: Duration('Entries more than this far in the future are rejected.', '10m'),
  },
  { additionalProperties: false, description: 'The embedded log store.' },
);

export type LogStoreConfig = Static<typeof LogStoreConfigSchema>;

/** The config with every duration and size turned into numbers (micros, bytes). */
export interface ResolvedLogStoreConfig {
  retentionPeriod: Micros;
  retentionSize: number;
  chunkTargetSize: number;
  chunkIdlePeriod: Micros;
  maxChunkAge: Micros;
  maxLabelNames: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxStreamsPerTenant: number;
  maxLineSize: number;
  /** Bytes of one entry's structured metadata; 0 = unlimited. */
  maxStructuredMetadataSize: number;
  /** Pairs of one entry's structured metadata; 0 = unlimited. */
  maxStructuredMetadataEntries: number;
  rejectOldSamplesMaxAge: Micros;
  creationGracePeriod: Micros;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4 };

/** `10GB`, `512MiB`, `1.5m`, or a number, to bytes; undefined when not a size. */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$/i.exec(v);
  if (!m) return undefined;
  const mult = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  return mult === undefined ? undefined : Math.round(Number(m[1]) * mult);
}

const DEFAULTS: LogStoreConfig = {
  retention_period: '744h',
  retention_size: 0,
  chunk_target_size: 1_572_864,
  chunk_idle_period: '30m',
  max_chunk_age: '1h',
  wal_sync: 'always',
  max_label_names_per_series: 15,
  max_label_name_length: 1024,
  max_label_value_length: 2048,
  max_streams_per_tenant: 10_000,
  max_line_size: 262_144,
  max_structured_metadata_size: 65_536,
  max_structured_metadata_entries_count: 128,
  reject_old_samples_max_age: '168h',
  creation_grace_period: '10m',
};

/** The defaults, for callers (tests, `vigil run` without config) that build a config in code. */
export function defaultLogStoreConfig(overrides: Partial<LogStoreConfig> = {}): LogStoreConfig {
  return { ...DEFAULTS, ...overrides };
}

/**
 * Turns a (schema-validated) config into numbers. Throws CONFIG_INVALID naming every bad key at
 * once, so a config that slipped past validation never runs with a silently clamped value.
 */
export function resolveLogStoreConfig(c: LogStoreConfig): ResolvedLogStoreConfig {
  const issues: string[] = [];
  const dur = (key: keyof LogStoreConfig): Micros => {
    const v = c[key] ?? DEFAULTS[key];
    const d = typeof v === 'string' ? parseDuration(v) : undefined;
    if (d === undefined) {
      issues.push(`${key}: not a duration: ${JSON.stringify(v)}`);
      return 0;
    }
    return d;
  };
  const size = (key: keyof LogStoreConfig): number => {
    const v = c[key] ?? DEFAULTS[key];
    const s = typeof v === 'number' || typeof v === 'string' ? parseSize(v) : undefined;
    if (s === undefined) {
      issues.push(`${key}: not a size: ${JSON.stringify(v)}`);
      return 0;
    }
    return s;
  };
  const r: ResolvedLogStoreConfig = {
    retentionPeriod: dur('retention_period'),
    retentionSize: size('retention_size'),
    chunkTargetSize: size('chunk_target_size'),
    chunkIdlePeriod: dur('chunk_idle_period'),
    maxChunkAge: dur('max_chunk_age'),
    maxLabelNames: c.max_label_names_per_series ?? DEFAULTS.max_label_names_per_series,
    maxLabelNameLength: c.max_label_name_length ?? DEFAULTS.max_label_name_length,
    maxLabelValueLength: c.max_label_value_length ?? DEFAULTS.max_label_value_length,
    maxStreamsPerTenant: c.max_streams_per_tenant ?? DEFAULTS.max_streams_per_tenant,
    maxLineSize: size('max_line_size'),
    maxStructuredMetadataSize: size('max_structured_metadata_size'),
    maxStructuredMetadataEntries: c.max_structured_metadata_entries_count ?? DEFAULTS.max_structured_metadata_entries_count ?? 128,
    rejectOldSamplesMaxAge: dur('reject_old_samples_max_age'),
    creationGracePeriod: dur('creation_grace_period'),
  };
  if (r.chunkTargetSize < 1) issues.push('chunk_target_size: must be > 0');
  if (issues.length > 0) throw new VigilError('CONFIG_INVALID', `log store config: ${issues.join('; ')}`, { issues });
  return r;
}
