/**
 * The `level` parser: sets the `level` stream label to a normalized level (critical, error,
 * warn, info, debug, trace, unknown), from a field an earlier parser extracted or from the text.
 * Entries of one stream with different levels are regrouped into one stream per level.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { Regrouper } from '../output.js';
import { levelFromText, normalizeLevel, type Level } from './detect.js';

const schema = Type.Object(
  {
    fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: ['level', 'severity', 'lvl', 'loglevel'],
        description: 'Fields (from an earlier parser) looked at first, in order. Default: level, severity, lvl, loglevel.',
      }),
    ),
    from_text: Type.Optional(Type.Boolean({ default: true, description: 'When no field (nor an existing level label) has a known level, detect it in the line (`level=error`, `"level":"warn"`, `[error]`, ` ERROR `).' })),
    label: Type.Optional(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', default: 'level', description: 'Name of the stream label to set (replacing an existing one).' })),
  },
  { additionalProperties: false },
);

export default defineTransform({
  kind: 'transform',
  type: 'level',
  description: 'Detects and normalizes the log level of each entry into a stream label.',
  schema,
  example: { fields: ['level', 'severity'], from_text: true },
  build(config) {
    const fields = config.fields ?? ['level', 'severity', 'lvl', 'loglevel'];
    const fromText = config.from_text ?? true;
    const label = config.label ?? 'level';
    const regroup = new Regrouper([label]);
    const value: Array<string | undefined> = [undefined];

    function detect(s: StreamBatch, i: number): Level {
      const f = s.fields?.[i];
      let written: string | undefined;
      if (f) {
        for (const name of fields) {
          const v = f[name];
          if (v !== undefined && v !== '') {
            written = v;
            break;
          }
        }
      }
      // A level an earlier parser promoted to the label (raw, e.g. "ERROR") counts as written too.
      written ??= s.labels[label];
      if (written !== undefined) {
        const l = normalizeLevel(written);
        if (l !== 'unknown' || !fromText) return l;
      }
      return fromText ? levelFromText(s.lines[i] as string) : 'unknown';
    }

    return {
      process(batch: LogBatch): LogBatch {
        const out: StreamBatch[] = [];
        for (const s of batch.streams) {
          // The stream's own `level` label is replaced: drop it so entries regroup by detected level only.
          const base: StreamBatch = label in s.labels ? { ...s, labels: withoutKey(s.labels, label) } : s;
          const n = s.lines.length;
          for (let i = 0; i < n; i++) {
            value[0] = detect(s, i);
            regroup.assign(i, n, value);
          }
          for (const o of regroup.finish(base)) out.push(o);
        }
        return { streams: out };
      },
    };
  },
});

function withoutKey(labels: Record<string, string>, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in labels) if (k !== key) out[k] = labels[k] as string;
  return out;
}
