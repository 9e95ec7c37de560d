/**
 * The `sample` transform: keeps 1 in `rate` entries of each stream, deterministically (a counter
 * per stream, so the same input always keeps the same entries), but never drops entries whose
 * level (label, else `level` field) is one of `keep_levels`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { labelsKey } from '../key.js';
import { pick } from '../merge.js';

const schema = Type.Object(
  {
    rate: Type.Integer({ minimum: 1, description: 'Keep one entry in `rate` per stream (1 keeps everything).' }),
    keep_levels: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Levels (case-insensitive, from the `level` label or field) always kept. Default warn, warning, error, critical.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Streams whose counters we remember; beyond it the oldest are forgotten (bounded memory under label churn). */
const MAX_STREAMS = 100_000;

export default defineTransform({
  kind: 'transform',
  type: 'sample',
  description: 'Keeps one entry in N per stream, always keeping warnings and errors.',
  schema,
  example: { rate: 10, keep_levels: ['warn', 'error', 'critical'] },
  build(config, ctx) {
    const rate = config.rate;
    const levels = new Set((config.keep_levels ?? ['warn', 'warning', 'error', 'critical']).map((l) => l.toLowerCase()));
    const counters = new Map<string, number>();
    return {
      process(batch: LogBatch): LogBatch {
        if (rate === 1) return batch;
        const out: StreamBatch[] = [];
        let dropped = 0;
        for (const s of batch.streams) {
          const key = labelsKey(s.labels);
          let c = counters.get(key) ?? 0;
          const streamLevel = s.labels['level'];
          const streamKeeps = streamLevel !== undefined && levels.has(streamLevel.toLowerCase());
          const kept: number[] = [];
          for (let i = 0; i < s.lines.length; i++) {
            const lv = streamKeeps ? undefined : s.fields?.[i]?.['level'];
            if (streamKeeps || (lv !== undefined && levels.has(lv.toLowerCase()))) {
              kept.push(i);
              continue;
            }
            if (c % rate === 0) kept.push(i);
            else dropped++;
            c++;
          }
          c %= rate;
          if (!counters.has(key) && counters.size >= MAX_STREAMS) {
            const first = counters.keys().next();
            if (!first.done) counters.delete(first.value);
          }
          counters.set(key, c);
          if (kept.length === s.lines.length) out.push(s);
          else if (kept.length > 0) out.push(pick(s, kept));
        }
        if (dropped > 0) ctx.metrics.discarded('sampled', dropped);
        return { streams: out };
      },
    };
  },
});
