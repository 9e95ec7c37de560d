/**
 * The `docker` parser: decodes Docker's json-file log lines
 * (`{"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}`) into the text without its
 * trailing newline, the `time` as timestamp and a `stream` label. Docker splits lines over
 * 16 KiB into records without a trailing `\n`; those are joined with the records that follow.
 * Lines that are not such a record are kept and marked `__error__=DockerParserErr`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { ByteSize } from '../../../config/types.js';
import type { LogBatch } from '../../../core/events.js';
import { parseRfc3339 } from '../../../core/time.js';
import { parseBytes } from '../../../core/units.js';
import { ContainerAssembler } from './container.js';

const schema = Type.Object(
  {
    max_line_size: Type.Optional(ByteSize({ default: '1MiB', description: 'Longest joined line: a split line growing past this is emitted as it is and the rest starts a new entry.' })),
  },
  { additionalProperties: false },
);

export default defineTransform({
  kind: 'transform',
  type: 'docker',
  description: "Decodes Docker json-file log lines (log text, time, stream), joining lines Docker split, and adds Kubernetes labels from kubelet paths.",
  schema,
  example: { max_line_size: '1MiB' },
  build(config, ctx) {
    const max = parseBytes(config.max_line_size ?? '1MiB') ?? 1 << 20;
    const asm = new ContainerAssembler('DockerParserErr', Math.max(1, max));
    return {
      process(batch: LogBatch): LogBatch {
        let bad = 0;
        for (const s of batch.streams) {
          asm.begin(s);
          for (let i = 0; i < s.lines.length; i++) {
            const line = s.lines[i] as string;
            const fields = s.fields?.[i];
            const ts = s.ts[i] as number;
            let rec: unknown;
            try {
              rec = JSON.parse(line);
            } catch (e) {
              asm.malformed(ts, line, fields, (e as Error).message);
              bad++;
              continue;
            }
            const r = rec as { log?: unknown; stream?: unknown; time?: unknown } | null;
            if (r === null || typeof r !== 'object' || typeof r.log !== 'string') {
              asm.malformed(ts, line, fields, 'not a Docker json-file record (no string "log")');
              bad++;
              continue;
            }
            const t = typeof r.time === 'string' ? parseRfc3339(r.time) : undefined;
            if (t === undefined) {
              asm.malformed(ts, line, fields, `invalid "time": ${JSON.stringify(r.time)}`);
              bad++;
              continue;
            }
            const complete = r.log.endsWith('\n');
            const text = complete ? r.log.slice(0, r.log.endsWith('\r\n') ? -2 : -1) : r.log;
            asm.piece({ ts: t, stream: typeof r.stream === 'string' && r.stream !== '' ? r.stream : 'stdout', text, complete }, fields);
          }
        }
        if (bad > 0) ctx.metrics.error('processing', bad);
        return asm.take();
      },
    };
  },
});
