/**
 * The `loki` sink: pushes each batch as one snappy protobuf request to `<url>/loki/api/v1/push`
 * (Grafana Loki or a Vigil server). Loki answers 400 for a whole request with any bad part, so a
 * 4xx is a permanent rejection carrying Loki's message; 429/5xx are retried, honouring Retry-After.
 */
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import { LabelMap } from '../../config/types.js';
import { AuthSchema, buildTransport, countResult, sendOnce, TimeoutSchema, TlsSchema, type Transport } from '../http/transport.js';
import { encodePush } from './encode.js';

const schema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Base URL of Loki or a Vigil server, e.g. `http://loki:3100`; `/loki/api/v1/push` is appended.' }),
    tenant_id: Type.Optional(Type.String({ minLength: 1, description: 'Sent as X-Scope-OrgID (multi-tenant Loki); omitted when unset.' })),
    labels: Type.Optional(LabelMap('Static labels added to every stream (a stream\'s own label of the same name wins).')),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), Type.String(), { description: 'Extra request headers (values may use `${VAR}`).' })),
    auth: Type.Optional(AuthSchema),
    tls: Type.Optional(TlsSchema),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);

export default defineSink({
  kind: 'sink',
  type: 'loki',
  defaultBuffer: 'disk',
  description: 'Pushes batches to Grafana Loki or a Vigil server (snappy protobuf push API).',
  schema,
  example: { url: 'http://127.0.0.1:3100', tenant_id: 'fleet', labels: { cluster: 'eu-1' }, timeout: '10s' },
  build(config, ctx) {
    const url = `${config.url.replace(/\/+$/, '')}/loki/api/v1/push`;
    const what = `loki ${new URL(config.url).origin}`;
    const extra = config.labels ?? {};
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = v;
    headers['content-type'] = 'application/x-protobuf';
    let transport: Transport | undefined;
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
          let body: Buffer;
          try {
            body = await encodePush(batch, extra);
          } catch (e) {
            // The same batch would fail the same way on every retry.
            ctx.metrics.error('processing', n);
            return { status: 'rejected', reason: `cannot encode the push request: ${errorMessage(e)}` };
          }
          const r = await sendOnce(transport, { method: 'POST', url, body, headers, tenant: config.tenant_id }, what);
          return countResult(ctx, r, n, bytes);
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: errorMessage(e) };
        }
      },
    };
  },
});
