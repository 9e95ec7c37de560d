/**
 * The `stdin` source: reads this process's standard input line by line until EOF, for
 * `vigil run -c x.yaml < app.log` or `app | vigil run -c x.yaml`.
 */
import { Type } from '@sinclair/typebox';
import { defineSource } from '../../components/contract.js';
import { ByteSize, Duration, LabelMap } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import { StdinSource } from './stdin-source.js';

const schema = Type.Object(
  {
    labels: Type.Optional(LabelMap('Static labels of every entry read (e.g. `job: import`).')),
    max_line_size: Type.Optional(ByteSize({ default: '256KiB', description: 'Longer lines keep their first bytes, the rest is dropped and counted (`discarded{reason="line_truncated"}`).' })),
    batch_max_lines: Type.Optional(Type.Integer({ minimum: 1, default: 1000, description: 'Most entries in one batch sent downstream.' })),
    batch_timeout: Type.Optional(Duration({ default: '100ms', description: 'Longest an incomplete batch waits for more lines before it is sent.' })),
  },
  { additionalProperties: false, description: 'Reads standard input until EOF.' },
);

export default defineSource({
  kind: 'source',
  type: 'stdin',
  description: 'Reads standard input line by line until EOF (files redirected or piped into vigil).',
  schema,
  example: { labels: { job: 'stdin' }, batch_max_lines: 1000 },
  build(config, ctx) {
    const maxLineBytes = parseBytes(config.max_line_size ?? '256KiB') ?? 256 * 1024;
    if (maxLineBytes < 1) throw new Error(`sources.${ctx.id}.max_line_size: must be at least 1 byte`);
    return new StdinSource(ctx, {
      input: process.stdin,
      labels: config.labels ?? {},
      maxLineBytes,
      batchMaxLines: config.batch_max_lines ?? 1000,
      batchTimeoutMs: Math.max(1, Math.round((parseDuration(config.batch_timeout ?? '100ms') ?? 100_000) / 1000)),
    });
  },
});
