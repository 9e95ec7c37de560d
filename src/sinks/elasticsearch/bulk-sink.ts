/**
 * The sink behind the `elasticsearch` and `opensearch` definitions: one `_bulk` request per batch
 * through the shared transport (auth, TLS, timeouts), per-item answers mapped to a SinkResult by
 * bulk-response.ts. The two flavors differ only in the product check and the message texts.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ComponentContext, Sink, SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import { httpRequest, HttpError } from '../../http/client.js';
import { buildTransport, type Transport } from '../http/transport.js';
import { encodeBulk } from './bulk-request.js';
import { judgeBulk } from './bulk-response.js';
import { resolveBulkConfig, type BulkSinkConfig } from './config.js';
import { sanitizeIndexName } from './index-name.js';
import { indexTemplateBody, putIndexTemplate } from './index-template.js';

const gzipAsync = promisify(gzip);

export type Flavor = 'elasticsearch' | 'opensearch';

/** Builds the sink; throws CONFIG_INVALID (naming `sinks.<id>.<key>`) for settings that cannot work. */
export function buildBulkSink(flavor: Flavor, config: BulkSinkConfig, ctx: ComponentContext): Sink {
  const r = resolveBulkConfig(config, ctx.id);
  const base = config.url.replace(/\/+$/, '');
  const url = `${base}/_bulk${config.pipeline !== undefined ? `?pipeline=${encodeURIComponent(config.pipeline)}` : ''}`;
  const what = `${flavor} ${new URL(config.url).origin}`;
  const a = config.auth ?? {};
  if (a.api_key !== undefined && (a.username !== undefined || a.password !== undefined || a.bearer_token !== undefined)) {
    throw new VigilError('CONFIG_INVALID', `sinks.${ctx.id}.auth: choose one of basic (username/password), bearer_token or api_key`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = v;
  if (a.api_key !== undefined) headers['authorization'] = `ApiKey ${a.api_key}`;
  const encodeOpts = {
    index: r.target,
    action: r.action,
    labelsAs: config.labels_as ?? 'object',
    parseJson: config.parse_json ?? false,
    idField: config.id_field,
    deterministicIds: r.deterministicIds,
  } as const;
  const useGzip = config.gzip ?? false;
  if (r.mode === 'bulk' && r.action === 'index' && /^logs-[^-]+-[^-]+$/.test(r.pattern)) {
    // Elasticsearch 8 ships an index template for `logs-*-*` that makes such names data streams, which refuse `index`.
    ctx.logger.warn({ sink: ctx.id, pattern: r.pattern }, 'index names matching logs-*-* are data streams on Elasticsearch 8+, which accept only `create`: set action: create or mode: data_stream');
  }
  let transport: Transport | undefined;
  let productChecked = flavor === 'opensearch';

  const transportConfig = { auth: { username: a.username, password: a.password, bearer_token: a.bearer_token }, tls: config.tls, timeout: config.timeout };
  return {
    async start() {
      if (transport) return;
      transport = buildTransport(ctx, transportConfig);
      if (config.create_template) {
        const name = sanitizeIndexName(`vigil-${ctx.id}`) ?? 'vigil';
        await putIndexTemplate(transport, base, name, indexTemplateBody(r.pattern, r.mode === 'data_stream', encodeOpts.labelsAs), ctx.logger, headers);
      }
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
      if (!transport) {
        ctx.metrics.error('sending', n);
        return { status: 'errored', error: 'sink is not started' };
      }
      try {
        const enc = encodeBulk(batch, encodeOpts);
        if (enc.positions.length === 0) {
          ctx.metrics.error('processing', n);
          const first = enc.unsendable[0];
          return { status: 'rejected', reason: first ? first.reason : 'nothing to send' };
        }
        const body = useGzip ? await gzipAsync(enc.body) : enc.body;
        const h: Record<string, string> = { ...transport.headers, ...headers, 'content-type': 'application/x-ndjson' };
        if (useGzip) h['content-encoding'] = 'gzip';
        let res;
        try {
          res = await httpRequest({ ...transport.base, method: 'POST', url, body, headers: h });
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: e instanceof HttpError ? e.message : `${what}: ${errorMessage(e)}` };
        }
        if (!productChecked && res.status >= 200 && res.status < 300) {
          productChecked = true;
          // ES 7.14+ stamps every answer; its official clients refuse a server without it. We only warn:
          // Vigil's own _bulk receiver and proxies may not send it, and the data did arrive.
          if (res.headers['x-elastic-product'] !== 'Elasticsearch') ctx.logger.warn({ sink: ctx.id, url: base }, 'the server did not answer X-Elastic-Product: Elasticsearch; it may not be Elasticsearch 7.14+ (use the opensearch sink for OpenSearch)');
        }
        const out = judgeBulk(batch, enc, res, r.action, what);
        const ok = out.stored + out.alreadyStored;
        if (ok > 0) ctx.metrics.sent(ok, Math.round((bytes * ok) / n));
        if (out.retried + out.rejected > 0) ctx.metrics.error('sending', out.retried + out.rejected);
        if (out.alreadyStored > 0) ctx.logger.debug({ sink: ctx.id, entries: out.alreadyStored }, 'entries already stored by an earlier attempt (409 on create)');
        return out.result;
      } catch (e) {
        ctx.metrics.error('sending', n);
        return { status: 'errored', error: errorMessage(e) };
      }
    },
  };
}
