/**
 * The `throttle` transform: passes at most `limit` entries per `window` for each key (the values
 * of the `key` labels, or the whole stream), dropping the excess. Windows are fixed, aligned on the
 * wall clock (`ctx.now()`), so a burst replayed from old files is throttled by arrival, not by age.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { parseDuration } from '../../../core/time.js';
import { pick } from '../merge.js';
import { labelsKey } from '../key.js';

const schema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Most entries passed per window and key.' }),
    window: Type.String({ minLength: 1, description: 'Window length as a duration (`10s`, `1m`, `1h`).' }),
    key: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Label names whose values form the key (default: all stream labels, i.e. per stream).' }),
    ),
  },
  { additionalProperties: false },
);

/** Keys remembered per window; beyond it the window's counts are reset (bounded memory under label churn). */
const MAX_KEYS = 100_000;

export default defineTransform({
  kind: 'transform',
  type: 'throttle',
  description: 'Passes at most N entries per time window per key (stream or chosen labels); the excess is dropped.',
  schema,
  example: { limit: 1000, window: '1m', key: ['app'] },
  build(config, ctx) {
    const window = parseDuration(config.window);
    if (window === undefined || window <= 0) throw new VigilError('CONFIG_INVALID', `window: invalid duration ${JSON.stringify(config.window)}`);
    const limit = config.limit;
    const names = config.key ? [...config.key] : undefined;
    let windowStart = -1;
    let counts = new Map<string, number>();
    return {
      process(batch: LogBatch): LogBatch {
        const now = ctx.now();
        const start = now - (now % window);
        if (start !== windowStart || counts.size > MAX_KEYS) {
          windowStart = start;
          counts = new Map();
        }
        const out: StreamBatch[] = [];
        let dropped = 0;
        for (const s of batch.streams) {
          const key = labelsKey(s.labels, names);
          const used = counts.get(key) ?? 0;
          const n = s.lines.length;
          const room = Math.max(0, limit - used);
          counts.set(key, used + Math.min(n, room));
          if (room >= n) {
            out.push(s);
            continue;
          }
          dropped += n - room;
          if (room === 0) continue;
          const idx = new Array<number>(room);
          for (let i = 0; i < room; i++) idx[i] = i;
          out.push(pick(s, idx));
        }
        if (dropped > 0) ctx.metrics.discarded('throttled', dropped);
        return { streams: out };
      },
    };
  },
});
