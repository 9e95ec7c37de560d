/**
 * The `console` sink: writes entries to stdout (or stderr) for debugging pipelines; one write per
 * batch, waiting for the stream to take it so a slow terminal slows the pipeline instead of
 * buffering without bound.
 */
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { ndjson, textLines } from '../http/records.js';

const schema = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('ndjson')], { default: 'text', description: '`text`: `<time> {labels} <line>`; `ndjson`: one `{timestamp, labels, line, fields}` object per line.' })),
    target: Type.Optional(Type.Union([Type.Literal('stdout'), Type.Literal('stderr')], { default: 'stdout', description: 'Which standard stream to write to.' })),
  },
  { additionalProperties: false },
);

export default defineSink({
  kind: 'sink',
  type: 'console',
  description: 'Prints entries to stdout or stderr, for debugging pipelines.',
  schema,
  example: { format: 'text', target: 'stdout' },
  build(config, ctx) {
    const asJson = config.format === 'ndjson';
    const toStderr = config.target === 'stderr';
    return {
      async start() {},
      async stop() {},
      async send(batch): Promise<SinkResult> {
        const n = batchSize(batch);
        if (n === 0) return { status: 'delivered' };
        const bytes = batchBytes(batch);
        ctx.metrics.received(n, bytes);
        const out = asJson ? ndjson(batch) : textLines(batch, true);
        // Looked up per call so a redirected process.stdout (tests, a reopened pipe) is honoured.
        const stream = toStderr ? process.stderr : process.stdout;
        try {
          await new Promise<void>((resolve, reject) => {
            stream.write(out, (err) => (err ? reject(err) : resolve()));
          });
          ctx.metrics.sent(n, bytes);
          return { status: 'delivered' };
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: `${toStderr ? 'stderr' : 'stdout'}: ${errorMessage(e)}` };
        }
      },
    };
  },
});
