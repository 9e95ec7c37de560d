/**
 * The `file` sink: appends each batch to a file as NDJSON (`{timestamp, labels, line, fields}`) or
 * raw lines, fsynced before the batch counts as delivered, rotated by size.
 */
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { parseBytes } from '../../core/units.js';
import { ByteSize } from '../../config/types.js';
import { ndjson, textLines } from '../http/records.js';
import { RotatingFile } from './rotating-file.js';

const schema = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'File to append to (created with its directory when missing).' }),
    format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('text')], { default: 'ndjson', description: '`ndjson`: one `{timestamp, labels, line, fields}` object per line; `text`: the raw log lines.' })),
    max_size: Type.Optional(ByteSize({ default: 0, description: 'Rotate when the file would grow beyond this size (`100MB`); 0 never rotates.' })),
    max_files: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 5, description: 'Rotated files kept (`path.1` is the newest); older ones are deleted.' })),
  },
  { additionalProperties: false },
);

export default defineSink({
  kind: 'sink',
  type: 'file',
  description: 'Appends entries to a local file (NDJSON or raw lines), fsynced per batch, rotated by size.',
  schema,
  example: { path: '/var/log/vigil/out.ndjson', format: 'ndjson', max_size: '100MB', max_files: 5 },
  build(config, ctx) {
    const text = (config.format ?? 'ndjson') === 'text';
    const file = new RotatingFile({ path: config.path, maxBytes: parseBytes(config.max_size ?? 0) ?? 0, maxFiles: config.max_files ?? 5 });
    return {
      async start() {},
      async stop() {
        await file.close();
      },
      async send(batch): Promise<SinkResult> {
        const n = batchSize(batch);
        if (n === 0) return { status: 'delivered' };
        const bytes = batchBytes(batch);
        ctx.metrics.received(n, bytes);
        try {
          await file.write(text ? textLines(batch, false) : ndjson(batch));
          ctx.metrics.sent(n, bytes);
          return { status: 'delivered' };
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: `${config.path}: ${errorMessage(e)}` };
        }
      },
    };
  },
});
