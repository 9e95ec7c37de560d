/**
 * The `cri` parser: decodes CRI (containerd, CRI-O) log lines
 * `2024-01-02T03:04:05.123456789Z stdout F message` into the message, its timestamp and a `stream`
 * label. `P` (partial) records are joined with the following ones of the same stream up to the
 * next `F`. Lines not in this format are kept and marked `__error__=CriParserErr`.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { ByteSize } from '../../../config/types.js';
import type { LogBatch } from '../../../core/events.js';
import { parseRfc3339 } from '../../../core/time.js';
import { parseBytes } from '../../../core/units.js';
import { ContainerAssembler } from '../docker/container.js';

const schema = Type.Object(
  {
    max_line_size: Type.Optional(ByteSize({ default: '1MiB', description: 'Longest joined line: a partial line growing past this is emitted as it is and the rest starts a new entry.' })),
  },
  { additionalProperties: false },
);

/** Splits one CRI record; returns an error message when it is not one. */
export function parseCriLine(line: string): { ts: number; stream: string; complete: boolean; text: string } | string {
  const a = line.indexOf(' ');
  if (a <= 0) return 'no timestamp';
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return 'no stream';
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return `unknown stream ${JSON.stringify(stream)} at byte ${a + 1}`;
  // The tag field is `P`/`F`, possibly followed by `:`-separated extra tags in newer runtimes.
  let c = line.indexOf(' ', b + 1);
  if (c < 0) c = line.length;
  const tag = line.slice(b + 1, c).split(':')[0];
  if (tag !== 'P' && tag !== 'F') return `unknown tag ${JSON.stringify(tag)} at byte ${b + 1}`;
  const ts = parseRfc3339(line.slice(0, a));
  if (ts === undefined) return `invalid timestamp ${JSON.stringify(line.slice(0, a))}`;
  return { ts, stream, complete: tag === 'F', text: c < line.length ? line.slice(c + 1) : '' };
}

export default defineTransform({
  kind: 'transform',
  type: 'cri',
  description: 'Decodes CRI (containerd/CRI-O) log lines (time, stream, partial flag), joining partial lines, and adds Kubernetes labels from kubelet paths.',
  schema,
  example: { max_line_size: '1MiB' },
  build(config, ctx) {
    const max = parseBytes(config.max_line_size ?? '1MiB') ?? 1 << 20;
    const asm = new ContainerAssembler('CriParserErr', Math.max(1, max));
    return {
      process(batch: LogBatch): LogBatch {
        let bad = 0;
        for (const s of batch.streams) {
          asm.begin(s);
          for (let i = 0; i < s.lines.length; i++) {
            const line = s.lines[i] as string;
            const r = parseCriLine(line);
            if (typeof r === 'string') {
              asm.malformed(s.ts[i] as number, line, s.fields?.[i], r);
              bad++;
            } else asm.piece(r, s.fields?.[i]);
          }
        }
        if (bad > 0) ctx.metrics.error('processing', bad);
        return asm.take();
      },
    };
  },
});
