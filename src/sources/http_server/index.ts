/**
 * The `http_server` source: log lines POSTed as NDJSON, plain text or JSON documents (what curl,
 * shell scripts, webhooks and Vector/Fluent Bit `http` sinks send). Answers 200 `{"accepted":n}`
 * once every sink took the entries; 400 names each refused line (the valid ones are kept).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defineSource, type Source, type SourceContext } from '../../components/contract.js';
import type { HttpSourceError } from '../shared-http/body.js';
import { HttpListener, type HttpListenerOptions } from '../shared-http/listener.js';
import { listenerProperties, resolveListener } from '../shared-http/schema.js';
import { decodeBody, type Decoding } from './decode.js';

const DEFAULT_LISTEN = '127.0.0.1:8088';
/** At most this many refused lines are named in one answer. */
const MAX_LISTED = 20;

const schema = Type.Object(
  {
    ...listenerProperties(DEFAULT_LISTEN),
    path: Type.Optional(Type.String({ pattern: '^/', default: '/', description: 'URL path that accepts POST (and PUT) requests.' })),
    decoding: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('text'), Type.Literal('json')], {
      default: 'ndjson',
      description: "'ndjson': one JSON value per line; 'text': one entry per line, as is; 'json': the body is one JSON object or an array of objects, one entry each. Empty lines are skipped.",
    })),
    timestamp_field: Type.Optional(Type.String({ minLength: 1, description: 'ndjson/json: dotted path of the document field holding its time (ISO-8601 or epoch milliseconds); the receive time is used when absent or unparseable.' })),
  },
  { additionalProperties: false, description: 'Receives log lines POSTed over HTTP.' },
);

function renderError(reply: FastifyReply, err: HttpSourceError): FastifyReply {
  return reply.code(err.status).type('application/json').send({ error: err.message });
}

interface Options {
  path: string;
  decoding: Decoding;
  timestampField: string | undefined;
}

/** The running source; `address()` tells which port `listen: 127.0.0.1:0` got. */
export class HttpServerSource implements Source {
  private readonly listener: HttpListener;

  constructor(ctx: SourceContext, listen: HttpListenerOptions, o: Options) {
    this.listener = new HttpListener(ctx, listen, {
      name: 'http_server',
      renderError,
      routes: (app, l) => {
        const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
          const body = await l.body(request);
          const d = decodeBody(body, { decoding: o.decoding, timestampField: o.timestampField, now: l.ctx.now() });
          l.ctx.metrics.received(d.lines.length + d.problems.length, body.length);
          if (d.problems.length > 0) {
            l.ctx.metrics.error('receiving', d.problems.length);
            l.ctx.metrics.discarded('invalid_line', d.problems.length);
          }
          if (d.lines.length > 0) await l.emit({ streams: [{ labels: { ...l.opts.labels }, ts: d.ts, lines: d.lines }] });
          if (d.problems.length === 0) return reply.code(200).send({ accepted: d.lines.length });
          const listed = d.problems.slice(0, MAX_LISTED);
          if (d.problems.length > MAX_LISTED) listed.push(`... and ${d.problems.length - MAX_LISTED} more`);
          return reply.code(400).send({ accepted: d.lines.length, rejected: d.problems.length, error: listed.join('; ') });
        };
        const hooks = l.pushHooks();
        app.route({ method: ['POST', 'PUT'], url: o.path, ...hooks, handler });
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
  type: 'http_server',
  description: 'Receives log lines POSTed over HTTP as NDJSON, plain text or JSON documents.',
  schema,
  example: {
    listen: DEFAULT_LISTEN,
    path: '/ingest',
    decoding: 'ndjson',
    timestamp_field: 'ts',
    labels: { source: 'webhook' },
  },
  build(config, ctx) {
    return new HttpServerSource(ctx, resolveListener(config, ctx, DEFAULT_LISTEN), {
      path: config.path ?? '/',
      decoding: config.decoding ?? 'ndjson',
      timestampField: config.timestamp_field,
    });
  },
});
