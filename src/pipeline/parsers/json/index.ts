/**
 * The `json` parser: extracts fields from JSON log lines (all top-level fields, nested objects
 * flattened with `_` as LogQL's `| json` does, or chosen ones by JSON path), promoting some to
 * stream labels. Lines that are not a JSON object are kept and marked `__error__=JSONParserErr`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { Extractor, LabelsOption, markError } from '../output.js';
import { compilePath, evalPath, valueText, type PathSegment } from './path.js';

const schema = Type.Object(
  {
    fields: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
        description: 'Target name → JSON path (`a.b[0]`, `a["k.with.dots"]`). Without it, every top-level field is extracted (nested objects flattened as `a_b`, arrays skipped).',
      }),
    ),
    labels: LabelsOption,
  },
  { additionalProperties: false },
);

/** Loki's flattening: nested objects become `parent_child`; arrays are not extracted. */
function flatten(obj: Record<string, unknown>, prefix: string, put: (k: string, v: string) => void): void {
  for (const k in obj) {
    const v = obj[k];
    const name = prefix === '' ? k : `${prefix}_${k}`;
    if (v !== null && typeof v === 'object') {
      if (!Array.isArray(v)) flatten(v as Record<string, unknown>, name, put);
      continue;
    }
    put(name, v === null ? '' : typeof v === 'string' ? v : String(v));
  }
}

export default defineTransform({
  kind: 'transform',
  type: 'json',
  description: 'Parses JSON log lines into fields and (selected, low-cardinality) stream labels.',
  schema,
  example: { fields: { level: 'level', user: 'user.id', first_tag: 'tags[0]' }, labels: ['level'] },
  build(config) {
    let paths: Array<[string, PathSegment[]]> | undefined;
    if (config.fields) {
      paths = [];
      for (const [target, path] of Object.entries(config.fields)) {
        try {
          paths.push([target, compilePath(path)]);
        } catch (e) {
          throw new VigilError('CONFIG_INVALID', `fields.${target}: ${(e as Error).message}`);
        }
      }
    }
    const ex = new Extractor(config.labels ?? []);
    const put = (k: string, v: string): void => ex.put(k, v);
    return {
      process(batch: LogBatch): LogBatch {
        const out: StreamBatch[] = [];
        for (const s of batch.streams) {
          ex.begin(s);
          for (let i = 0; i < s.lines.length; i++) {
            const line = s.lines[i] as string;
            ex.entry(i);
            let obj: unknown;
            try {
              obj = JSON.parse(line);
            } catch (e) {
              markError(s, i, 'JSONParserErr', (e as Error).message);
              ex.close();
              continue;
            }
            if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
              markError(s, i, 'JSONParserErr', 'not a JSON object');
            } else if (paths) {
              for (const [target, path] of paths) {
                const v = valueText(evalPath(obj, path));
                if (v !== undefined) put(target, v);
              }
            } else {
              flatten(obj as Record<string, unknown>, '', put);
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
