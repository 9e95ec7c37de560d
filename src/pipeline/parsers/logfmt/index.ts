/**
 * The `logfmt` parser: extracts `key=value` pairs (all, or chosen keys renamed), promoting some to
 * stream labels. Malformed lines keep the pairs found before the error and are marked
 * `__error__=LogfmtParserErr` with the position, as LogQL's `| logfmt` does.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { Extractor, LabelsOption, markError } from '../output.js';
import { scanLogfmt } from './scan.js';

const schema = Type.Object(
  {
    fields: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
        description: 'Target name → logfmt key. Without it, every key is extracted under its own (sanitized) name.',
      }),
    ),
    labels: LabelsOption,
  },
  { additionalProperties: false },
);

export default defineTransform({
  kind: 'transform',
  type: 'logfmt',
  description: 'Parses logfmt lines (key=value pairs, as Go services log) into fields and stream labels.',
  schema,
  example: { labels: ['level'] },
  build(config) {
    // key → target names (one key may feed several targets)
    let wanted: Map<string, string[]> | undefined;
    if (config.fields) {
      wanted = new Map();
      for (const [target, key] of Object.entries(config.fields)) {
        const l = wanted.get(key) ?? [];
        l.push(target);
        wanted.set(key, l);
      }
    }
    const ex = new Extractor(config.labels ?? []);
    const visit = wanted
      ? (k: string, v: string): void => {
          const targets = wanted.get(k);
          if (targets) for (const t of targets) ex.put(t, v);
        }
      : (k: string, v: string): void => ex.put(k, v);
    return {
      process(batch: LogBatch): LogBatch {
        const out: StreamBatch[] = [];
        for (const s of batch.streams) {
          ex.begin(s);
          for (let i = 0; i < s.lines.length; i++) {
            ex.entry(i);
            try {
              scanLogfmt(s.lines[i] as string, visit);
            } catch (e) {
              markError(s, i, 'LogfmtParserErr', (e as Error).message);
            }
            ex.close();
          }
          for (const o of ex.end()) out.push(o);
        }
        return { streams: out };
      },
    };
  },
});
