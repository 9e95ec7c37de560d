/**
 * The `otlp` source: OTLP/HTTP logs (`POST /v1/logs`, protobuf or JSON, optionally gzip), what
 * OpenTelemetry SDKs and Collectors export. Answers ExportLogsServiceResponse (with
 * partialSuccess for records it could not map) in the request's content type, once every sink
 * took the entries; 503 with Retry-After when the pipeline refused them, 429 when saturated.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defineSource, type Source, type SourceContext } from '../../components/contract.js';
import { HttpSourceError, mediaType, utf8Text, type HttpProblem } from '../shared-http/body.js';
import { jsonSyntaxDetail } from '../shared-http/json.js';
import { HttpListener, type HttpListenerOptions } from '../shared-http/listener.js';
import { listenerProperties, resolveListener } from '../shared-http/schema.js';
import { convertLogs } from './convert.js';
import { decodeLogsProto, ExportLogsServiceResponse, RpcStatus } from './proto.js';

const DEFAULT_LISTEN = '127.0.0.1:4318';

/** Loki's default OTLP resource attributes that become labels (low cardinality). */
export const DEFAULT_RESOURCE_LABELS = [
  'service.name', 'service.namespace', 'service.instance.id', 'deployment.environment', 'deployment.environment.name', 'host.name',
  'cloud.region', 'cloud.availability_zone', 'k8s.cluster.name', 'k8s.namespace.name', 'k8s.pod.name', 'k8s.container.name',
  'container.name', 'k8s.replicaset.name', 'k8s.deployment.name', 'k8s.statefulset.name', 'k8s.daemonset.name', 'k8s.cronjob.name', 'k8s.job.name',
];

const schema = Type.Object(
  {
    ...listenerProperties(DEFAULT_LISTEN),
    resource_labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
      description: `Resource attributes that become labels (dots become \`_\`: \`service.name\` → \`service_name\`, which is \`unknown_service\` when absent). Other resource attributes, scope, log attributes, trace_id, span_id and severity become structured metadata. Default: Loki's list (${DEFAULT_RESOURCE_LABELS.join(', ')}).`,
    })),
  },
  { additionalProperties: false, description: 'Receives OTLP/HTTP logs.' },
);

/** gRPC status codes OTLP/HTTP error bodies carry. */
const RPC_CODE: Record<HttpProblem, number> = {
  bad_request: 3, too_large: 8, unsupported_media_type: 3, unauthorized: 16, saturated: 8, unavailable: 14, not_found: 5,
};

function isProto(request: FastifyRequest): boolean {
  return mediaType(request.headers['content-type']) === 'application/x-protobuf';
}

function renderError(reply: FastifyReply, err: HttpSourceError, request: FastifyRequest): FastifyReply {
  const status = { code: RPC_CODE[err.problem], message: err.message };
  reply.code(err.status);
  if (isProto(request)) return reply.type('application/x-protobuf').send(Buffer.from(RpcStatus.encode(RpcStatus.create(status)).finish()));
  return reply.type('application/json').send(status);
}

/** The running source; `address()` tells which port `listen: 127.0.0.1:0` got. */
export class OtlpSource implements Source {
  private readonly listener: HttpListener;

  constructor(ctx: SourceContext, listen: HttpListenerOptions, resourceLabels: ReadonlySet<string>) {
    this.listener = new HttpListener(ctx, listen, {
      name: 'otlp',
      renderError,
      routes: (app, l) => {
        app.post('/v1/logs', { ...l.pushHooks() }, async (request, reply) => {
          const media = mediaType(request.headers['content-type']);
          const proto = media === 'application/x-protobuf';
          if (!proto && media !== 'application/json') {
            throw new HttpSourceError('unsupported_media_type', `Content-Type "${media}" is not supported: use application/x-protobuf or application/json`);
          }
          const body = await l.body(request);
          let req: unknown;
          if (proto) req = decodeLogsProto(body);
          else {
            const text = utf8Text(body);
            try {
              req = JSON.parse(text);
            } catch (e) {
              throw new HttpSourceError('bad_request', `body is not JSON: ${jsonSyntaxDetail(text, e)}`);
            }
          }
          const c = convertLogs(req, { labels: l.opts.labels, resourceLabels, idEncoding: proto ? 'base64' : 'hex', now: l.ctx.now() });
          l.ctx.metrics.received(c.accepted + c.rejected, body.length);
          if (c.rejected > 0) {
            l.ctx.metrics.error('receiving', c.rejected);
            l.ctx.metrics.discarded('invalid_record', c.rejected);
            l.ctx.logger.debug({ error: c.problems[0], rejected: c.rejected }, 'otlp records rejected');
          }
          await l.emit(c.batch);
          const answer = c.rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(c.rejected), errorMessage: c.problems.join('; ') } } : {};
          reply.code(200);
          if (proto) return reply.type('application/x-protobuf').send(Buffer.from(ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject(answer)).finish()));
          return reply.type('application/json').send(answer);
        });
      },
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  address() {
    return this.listener.address();
  }
}

export default defineSource({
  kind: 'source',
  type: 'otlp',
  description: 'Receives OpenTelemetry logs over OTLP/HTTP (protobuf or JSON, gzip) from SDKs and Collectors.',
  schema,
  example: {
    listen: DEFAULT_LISTEN,
    resource_labels: ['service.name', 'service.namespace', 'deployment.environment', 'host.name'],
    labels: { source: 'otlp' },
  },
  build(config, ctx) {
    return new OtlpSource(ctx, resolveListener(config, ctx, DEFAULT_LISTEN), new Set(config.resource_labels ?? DEFAULT_RESOURCE_LABELS));
  },
});
