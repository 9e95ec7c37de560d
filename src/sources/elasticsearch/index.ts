/**
 * The `elasticsearch` source: an Elasticsearch-compatible `_bulk` endpoint, so anything that
 * ships to Elasticsearch (rsyslog omelasticsearch, syslog-ng elasticsearch-http(), Beats,
 * Logstash, Vector, Fluent Bit) can ship to Vigil unchanged. Each document is one entry; the
 * answer comes only once every sink took the entries durably.
 */
import { Type } from '@sinclair/typebox';
import { defineSource, type Source, type SourceContext } from '../../components/contract.js';
import { HttpListener, type HttpListenerOptions } from '../shared-http/listener.js';
import { listenerProperties, resolveListener } from '../shared-http/schema.js';
import { registerEsRoutes, renderEsError, type EsRouteOptions } from './routes.js';

const DEFAULT_LISTEN = '127.0.0.1:9200';

const schema = Type.Object(
  {
    ...listenerProperties(DEFAULT_LISTEN),
    label_fields: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[^\\s]+$' }), {
      default: [],
      description: 'Document fields (dotted paths such as `host.name`, `log.level`) promoted to labels named with `.` → `_`. Only low-cardinality fields belong here: each distinct value makes a new stream. Every entry is labelled `index` anyway.',
    })),
    cluster_name: Type.Optional(Type.String({ minLength: 1, default: 'vigil', description: 'Cluster name reported to clients that ask (`GET /`, `/_cluster/health`).' })),
  },
  { additionalProperties: false, description: 'Receives Elasticsearch _bulk requests.' },
);

/** The running source; `address()` tells tests which port `listen: 127.0.0.1:0` got. */
export class ElasticsearchSource implements Source {
  private readonly listener: HttpListener;

  constructor(ctx: SourceContext, opts: HttpListenerOptions, routes: EsRouteOptions) {
    this.listener = new HttpListener(ctx, opts, {
      name: 'elasticsearch',
      headers: { 'x-elastic-product': 'Elasticsearch' },
      routes: (app, l) => registerEsRoutes(app, l, routes),
      renderError: (reply, err) => renderEsError(reply, err),
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
  type: 'elasticsearch',
  description: 'Receives Elasticsearch _bulk requests (index/create actions) from rsyslog, syslog-ng, Beats, Logstash, Vector or Fluent Bit.',
  schema,
  example: {
    listen: DEFAULT_LISTEN,
    labels: { source: 'es_bulk' },
    label_fields: ['host.name'],
    max_body_bytes: '10MiB',
  },
  build(config, ctx) {
    const opts = resolveListener(config, ctx, DEFAULT_LISTEN);
    return new ElasticsearchSource(ctx, opts, {
      labelFields: config.label_fields ?? [],
      clusterName: config.cluster_name ?? 'vigil',
      nodeName: ctx.hostname,
    });
  },
});
