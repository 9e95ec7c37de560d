/**
 * The `http` sink: POSTs each batch as one request, a JSON array or NDJSON of
 * `{timestamp, labels, line, fields}`, optionally gzip-compressed, with static headers, auth and TLS.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import { AuthSchema, buildTransport, countResult, sendOnce, TimeoutSchema, TlsSchema, type Transport } from './transport.js';
import { jsonArray, ndjson } from './records.js';

const gzipAsync = promisify(gzip);

const schema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Where batches are POSTed (http:// or https://).' }),
    encoding: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('ndjson')], { default: 'ndjson', description: '`ndjson`: one JSON object per line; `json`: one JSON array per request.' })),
    gzip: Type.Optional(Type.Boolean({ default: false, description: 'Compress request bodies with gzip (Content-Encoding: gzip).' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), Type.String(), { description: 'Extra request headers (values may use `${VAR}`, replaced when the config is loaded).' })),
    auth: Type.Optional(AuthSchema),
    tls: Type.Optional(TlsSchema),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);

export default defineSink({
  kind: 'sink',
  type: 'http',
  defaultBuffer: 'disk',
  description: 'POSTs batches as JSON or NDJSON to any HTTP endpoint.',
  schema,
  example: { url: 'http://127.0.0.1:8080/ingest', encoding: 'ndjson', gzip: true, headers: { 'X-Source': 'vigil' }, timeout: '10s' },
  build(config, ctx) {
    const encoding = config.encoding ?? 'ndjson';
    const useGzip = config.gzip ?? false;
    const contentType = encoding === 'json' ? 'application/json' : 'application/x-ndjson';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = v;
    let transport: Transport | undefined;
    const what = new URL(config.url).origin;
    return {
      async start() {
        transport ??= buildTransport(ctx, config);
      },
      async stop() {
        const t = transport;
        transport = undefined;
        await t?.close();
      },
      async send(batch): Promise<SinkResult> {
        const n = batchSize(batch);
        if (n === 0) return { status: 'delivered' };
        const bytes = batchBytes(batch);
        ctx.metrics.received(n, bytes);
        try {
          if (!transport) throw new VigilError('UNAVAILABLE', 'sink is not started');
          const text = encoding === 'json' ? jsonArray(batch) : ndjson(batch);
          const body = useGzip ? await gzipAsync(Buffer.from(text)) : Buffer.from(text);
          const h: Record<string, string> = { 'content-type': contentType, ...headers };
          if (useGzip) h['content-encoding'] = 'gzip';
          const r = await sendOnce(transport, { method: 'POST', url: config.url, body, headers: h }, what);
          return countResult(ctx, r, n, bytes);
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: errorMessage(e) };
        }
      },
    };
  },
});
