/**
 * The `regex` parser: a regular expression with named groups, compiled once; each group's value
 * goes to a stream label (when listed in `labels`) or to the entry's fields. A line that does not
 * match is kept and marked `__error__=RegexParserErr`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { Regex } from '../../../config/types.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { Extractor, LabelsOption, markError } from '../output.js';

const schema = Type.Object(
  {
    expression: Regex({ description: 'Regular expression with named groups, e.g. `^(?<ip>\\S+) \\S+ \\S+ \\[(?<time>[^\\]]+)\\] "(?<method>\\S+)`. Unanchored unless it starts with `^`.' }),
    labels: LabelsOption,
    on_no_match: Type.Optional(
      Type.Union([Type.Literal('mark'), Type.Literal('ignore')], {
        default: 'mark',
        description: "A line that does not match: 'mark' it with __error__=RegexParserErr, or 'ignore' (keep it unchanged).",
      }),
    ),
  },
  { additionalProperties: false },
);

export default defineTransform({
  kind: 'transform',
  type: 'regex',
  description: 'Extracts named regex groups from each line into fields and stream labels.',
  schema,
  example: {
    expression: '^(?<ip>\\S+) \\S+ (?<user>\\S+) \\[(?<time>[^\\]]+)\\] "(?<method>[A-Z]+) (?<path>\\S+) [^"]*" (?<status>\\d{3}) (?<size>\\d+|-)',
    labels: ['method'],
  },
  build(config) {
    const re = new RegExp(config.expression);
    const names = [...config.expression.matchAll(/\(\?<([a-zA-Z][a-zA-Z0-9_]*)>/g)].map((m) => m[1] as string);
    if (names.length === 0) throw new VigilError('CONFIG_INVALID', `expression: has no named group (?<name>...)`);
    const mark = (config.on_no_match ?? 'mark') === 'mark';
    const ex = new Extractor(config.labels ?? []);
    return {
      process(batch: LogBatch): LogBatch {
        const out: StreamBatch[] = [];
        for (const s of batch.streams) {
          ex.begin(s);
          for (let i = 0; i < s.lines.length; i++) {
            ex.entry(i);
            const m = re.exec(s.lines[i] as string);
            if (!m) {
              if (mark) markError(s, i, 'RegexParserErr', 'line does not match the expression');
            } else {
              const g = m.groups as Record<string, string | undefined>;
              for (const name of names) {
                const v = g[name];
                if (v !== undefined) ex.put(name, v);
              }
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
