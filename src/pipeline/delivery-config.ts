/**
 * Per-sink delivery options, beside each sink's own keys: its buffer, how batches are formed, how
 * many requests run at once, and which entries it takes (routing). Checked by the root schema;
 * resolved with the sink type's default buffer (disk for sinks that send over the network).
 */
import { Type, type Static } from '@sinclair/typebox';
import { parseDuration } from '../core/time.js';
import { parseBytes } from '../core/units.js';
import { ByteSize, Duration } from '../config/types.js';

export const BufferSchema = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('disk')], {
      description: '`disk`: batches are fsynced to segment files under the data directory before sources are acknowledged, so a slow or dead destination never stalls other sinks and nothing is lost on a crash. `memory`: sources wait until the destination took the batch. Default: `disk` for sinks that send over the network, `memory` for local ones.',
    })),
    max_size: Type.Optional(ByteSize({ description: 'Bound on buffered bytes (default 256MB on disk, 16MB in memory).' })),
    when_full: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('drop_newest')], {
      description: '`block` (default): sources wait (file sources stop reading, push receivers answer 429/503). `drop_newest`: new batches are counted as discarded (`buffer_full`) and dropped.',
    })),
  },
  { additionalProperties: false, description: 'The sink\'s own buffer.' },
);

export const BatchSchema = Type.Object(
  {
    max_events: Type.Optional(Type.Integer({ minimum: 1, description: 'Entries per request (default 10000); a buffered batch larger than this is sent whole.' })),
    max_bytes: Type.Optional(ByteSize({ description: 'Line bytes per request (default 8MB).' })),
    timeout: Type.Optional(Duration({ description: 'How long to wait for a request to fill up (default 0s: send what is queued as soon as a request slot is free, which batches naturally under load).' })),
  },
  { additionalProperties: false, description: 'How queued entries are grouped into requests.' },
);

export const RequestSchema = Type.Object(
  {
    concurrency: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1024 }), Type.Literal('adaptive')], {
      description: 'Requests in flight at once (default 1), or `adaptive`: grows while latency holds and shrinks when it rises or the destination pushes back (429/503/errors).',
    })),
    max_concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: 'Upper bound for `adaptive` (default 64).' })),
  },
  { additionalProperties: false, description: 'Parallel requests.' },
);

export const DeliveryKeys = ['inputs', 'buffer', 'batch', 'request', 'condition'] as const;

export interface DeliveryConfig {
  buffer: { type: 'memory' | 'disk'; maxBytes: number; whenFull: 'block' | 'drop_newest' };
  batch: { maxEvents: number; maxBytes: number; timeoutMs: number };
  request: { concurrency: number | 'adaptive'; maxConcurrency: number };
  /** LogQL line/label filters an entry must pass to reach this sink (routing). */
  condition?: string;
}

export interface RawDelivery {
  buffer?: Static<typeof BufferSchema>;
  batch?: Static<typeof BatchSchema>;
  request?: Static<typeof RequestSchema>;
  condition?: string;
}

/** Resolves the options of a sink entry (already schema-valid) with the type's default buffer. */
export function resolveDelivery(raw: RawDelivery, defaultBuffer: 'memory' | 'disk', defaultConcurrency = 1): DeliveryConfig {
  const type = raw.buffer?.type ?? defaultBuffer;
  return {
    buffer: {
      type,
      maxBytes: parseBytes(raw.buffer?.max_size ?? (type === 'disk' ? '256MB' : '16MB')) ?? 256e6,
      whenFull: raw.buffer?.when_full ?? 'block',
    },
    batch: {
      maxEvents: raw.batch?.max_events ?? 10_000,
      maxBytes: parseBytes(raw.batch?.max_bytes ?? '8MB') ?? 8e6,
      timeoutMs: (parseDuration(raw.batch?.timeout ?? '0s') ?? 0) / 1000,
    },
    request: { concurrency: raw.request?.concurrency ?? defaultConcurrency, maxConcurrency: raw.request?.max_concurrency ?? 64 },
    ...(raw.condition !== undefined ? { condition: raw.condition } : {}),
  };
}
