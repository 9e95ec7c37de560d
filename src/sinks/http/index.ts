/**
 * The `http` sink: POSTs each batch as one request, a JSON array or NDJSON of
 * `{timestamp, labels, line, fields}`, optionally gzip-compressed, with static headers, auth and TLS.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import { defineSink, type ComponentContext, type SinkResult } from '../../components/contract.js';
import type { LogBatch } from '../../core/events.js';
import { compileTemplate, splitByDestination, type Template } from './template.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import { AuthSchema, buildTransport, countResult, sendOnce, TimeoutSchema, TlsSchema, type Transport } from './transport.js';
import { jsonArray, ndjson } from './records.js';

const gzipAsync = promisify(gzip);

const schema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Where batches are POSTed (http:// or https://). May contain `{{ labels.<name> }}` placeholders (e.g. `https://intake/{{ labels.service }}`): a batch is then split into one request per distinct URL.' }),
    encoding: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('ndjson')], { default: 'ndjson', description: '`ndjson`: one JSON object per line; `json`: one JSON array per request.' })),
    gzip: Type.Optional(Type.Boolean({ default: false, description: 'Compress request bodies with gzip (Content-Encoding: gzip).' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), Type.String(), { description: 'Extra request headers (values may use `${VAR}`, replaced when the config is loaded, and `{{ labels.<name> }}` placeholders, rendered per stream).' })),
    auth: Type.Optional(AuthSchema),
    tls: Type.Optional(TlsSchema),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);

/** One result for requests to several destinations: retry only the failed ones, dead-letter the refused ones. */
function combine(ctx: ComponentContext, parts: Array<{ batch: LogBatch; result: SinkResult }>): SinkResult {
  const retry: LogBatch = { streams: [] };
  const rejected: Array<{ batch: LogBatch; reason: string }> = [];
  let retryAfterMs: number | undefined;
  const errors: string[] = [];
  for (const p of parts) {
    const n = batchSize(p.batch);
    if (p.result.status === 'delivered') {
      ctx.metrics.sent(n, batchBytes(p.batch));
    } else if (p.result.status === 'rejected') {
      rejected.push({ batch: p.batch, reason: p.result.reason });
    } else if (p.result.status === 'errored') {
      ctx.metrics.error('sending', n);
      retry.streams.push(...p.batch.streams);
      errors.push(p.result.error);
      if (p.result.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, p.result.retryAfterMs);
    }
  }
  if (retry.streams.length === 0 && rejected.length === 0) return { status: 'delivered' };
  return { status: 'partial', error: errors.join('; ') || 'some destinations refused entries', ...(retry.streams.length > 0 ? { retry } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), rejected };
}

export default defineSink({
  kind: 'sink',
  type: 'http',
  defaultBuffer: 'disk',
  description: 'POSTs batches as JSON or NDJSON to any HTTP endpoint.',
  schema,
  example: { url: 'http://127.0.0.1:8080/ingest/{{ labels.service }}', encoding: 'ndjson', gzip: true, headers: { 'X-Source': 'vigil' }, timeout: '10s' },
  build(config, ctx) {
    const encoding = config.encoding ?? 'ndjson';
    const useGzip = config.gzip ?? false;
    const contentType = encoding === 'json' ? 'application/json' : 'application/x-ndjson';
    const headers: Record<string, Template> = {};
    for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = compileTemplate(v, `headers.${k}`);
    const url = compileTemplate(config.url, 'url');
    let transport: Transport | undefined;
    const what = new URL(config.url.replace(/\{\{[^}]*\}\}/g, 'x')).origin;
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
          const t = transport;
          const groups = splitByDestination(batch, url, headers);
          const results = await Promise.all(
            groups.map(async (g) => {
              const raw = encoding === 'json' ? jsonArray(g.batch) : ndjson(g.batch);
              const body = useGzip ? await gzipAsync(raw) : raw;
              const h: Record<string, string> = { 'content-type': contentType, ...g.headers };
              if (useGzip) h['content-encoding'] = 'gzip';
              return sendOnce(t, { method: 'POST', url: g.url, body, headers: h }, what);
            }),
          );
          if (groups.length === 1) return countResult(ctx, results[0] as SinkResult, n, bytes);
          return combine(ctx, groups.map((g, i) => ({ batch: g.batch, result: results[i] as SinkResult })));
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: errorMessage(e) };
        }
      },
    };
  },
});
