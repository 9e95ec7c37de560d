/**
 * The `timestamp` parser: replaces an entry's time (the read time) with the time written in the
 * log, taken from a field or a regex group, in a named format or a Go layout. An entry whose time
 * cannot be parsed keeps the read time and is marked `__error__=TimestampParserErr`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { Regex } from '../../../config/types.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { markError } from '../output.js';
import { compileFormat, NAMED_FORMATS, type TimestampFn } from './formats.js';

const DEFAULT_SOURCES = ['ts', 'timestamp', 'time', '@timestamp'];

const schema = Type.Object(
  {
    source: Type.Optional(Type.String({ minLength: 1, description: 'Field (set by an earlier parser) or stream label holding the time. Default: the first present of ts, timestamp, time, @timestamp.' })),
    expression: Type.Optional(Regex({ description: 'Instead of `source`: a regex on the line whose group `ts` (or first group, or whole match) is the time, e.g. `^\\S+ \\S+ \\S+ \\[(?<ts>[^\\]]+)\\]`.' })),
    format: Type.String({
      minLength: 1,
      description: `One of ${NAMED_FORMATS.join(', ')} (common_log is nginx/apache \`02/Jan/2006:15:04:05 -0700\`, rfc3164 is syslog \`Jan  2 15:04:05\`), or a Go layout such as \`2006-01-02 15:04:05.000\`.`,
    }),
    location: Type.Optional(Type.String({ minLength: 1, default: 'UTC', description: 'IANA time zone (e.g. `Europe/Paris`, or `Local`) for times written without an offset.' })),
  },
  { additionalProperties: false },
);

export default defineTransform({
  kind: 'transform',
  type: 'timestamp',
  description: 'Sets each entry\'s time from a timestamp in the log (field or regex), keeping the read time when it cannot.',
  schema,
  example: { source: 'time', format: 'rfc3339' },
  build(config, ctx) {
    let parse: TimestampFn;
    try {
      parse = compileFormat(config.format, config.location ?? 'UTC', ctx.now);
    } catch (e) {
      throw new VigilError('CONFIG_INVALID', `format/location: ${(e as Error).message}`);
    }
    const re = config.expression !== undefined ? new RegExp(config.expression) : undefined;
    const sources = config.source !== undefined ? [config.source] : DEFAULT_SOURCES;
    const what = re ? 'expression' : sources.join('|');

    function textOf(s: StreamBatch, i: number): string | undefined {
      if (re) {
        const m = re.exec(s.lines[i] as string);
        if (!m) return undefined;
        return m.groups?.['ts'] ?? m[1] ?? m[0];
      }
      const f = s.fields?.[i];
      for (const name of sources) {
        const v = f?.[name] ?? s.labels[name];
        if (v !== undefined) return v;
      }
      return undefined;
    }

    return {
      process(batch: LogBatch): LogBatch {
        for (const s of batch.streams) {
          for (let i = 0; i < s.lines.length; i++) {
            const text = textOf(s, i);
            if (text === undefined) {
              markError(s, i, 'TimestampParserErr', `no timestamp found (${what})`);
              continue;
            }
            const t = parse(text);
            if (t === undefined) {
              markError(s, i, 'TimestampParserErr', `cannot parse ${JSON.stringify(text.slice(0, 100))} as ${config.format}`);
              continue;
            }
            s.ts[i] = t;
          }
        }
        return batch;
      },
    };
  },
});
