/**
 * The Elasticsearch HTTP surface: `_bulk` (POST/PUT, with or without an index in the path) and
 * the minimal answers clients probe before sending (cluster info, health, templates, ILM
 * policies, license, nodes), so rsyslog omelasticsearch, syslog-ng elasticsearch-http(),
 * Beats, Logstash, Vector and Fluent Bit accept Vigil as their Elasticsearch.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpSourceError, type HttpProblem } from '../shared-http/body.js';
import type { HttpListener } from '../shared-http/listener.js';
import { bulkResponse, parseBulk, type BulkItem } from './bulk.js';

/** The version ES 8 clients check (they refuse < 8 without the product header). */
export const ES_VERSION = '8.11.0';

const ERROR_TYPES: Record<HttpProblem, string> = {
  bad_request: 'illegal_argument_exception',
  too_large: 'content_too_long_exception',
  unsupported_media_type: 'media_type_header_exception',
  unauthorized: 'security_exception',
  saturated: 'es_rejected_execution_exception',
  unavailable: 'unavailable_shards_exception',
  not_found: 'resource_not_found_exception',
};

/**
 * A bulk request the pipeline could not take (429 saturated/stopping, 503 refused): the status and
 * error envelope of the whole request, for clients that look at those (syslog-ng, Beats, Logstash),
 * plus the bulk `items` with each would-be-stored item failed with the same status, for clients
 * that only retry items (rsyslog omelasticsearch with `retryfailures`). Items that were invalid
 * anyway keep their own 400.
 */
function renderRetry(reply: FastifyReply, items: BulkItem[], err: HttpSourceError, tookMs: number): FastifyReply {
  const type = ERROR_TYPES[err.problem];
  const failed = items.map((it): BulkItem => (it.error ? it : { action: it.action, index: it.index, id: it.id, status: err.status, error: { type, reason: err.message } }));
  const bulk = JSON.parse(bulkResponse(failed, tookMs)) as object;
  const cause = { type, reason: err.message };
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  return reply.code(err.status).type('application/json').send({ error: { root_cause: [cause], ...cause }, status: err.status, ...bulk });
}

/** Renders a refused request as Elasticsearch's error envelope. */
export function renderEsError(reply: FastifyReply, err: HttpSourceError): FastifyReply {
  const cause = { type: ERROR_TYPES[err.problem], reason: err.message };
  return reply.code(err.status).type('application/json').send({ error: { root_cause: [cause], ...cause }, status: err.status });
}

export interface EsRouteOptions {
  labelFields: ReadonlyArray<string>;
  clusterName: string;
  nodeName: string;
}

function clusterInfo(o: EsRouteOptions): object {
  return {
    name: o.nodeName,
    cluster_name: o.clusterName,
    cluster_uuid: 'vigil0000000000000000a',
    version: {
      number: ES_VERSION, build_flavor: 'default', build_type: 'vigil', build_hash: 'vigil', build_date: '2023-11-04T10:04:57.184859352Z',
      build_snapshot: false, lucene_version: '9.8.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/** Registers every route on the source's Fastify instance. */
export function registerEsRoutes(app: FastifyInstance, l: HttpListener, o: EsRouteOptions): void {
  let seqNo = 0;
  // Admission comes after the body is read (bounded by max_body_bytes) so that a refusal can list
  // every item: rsyslog's omelasticsearch only retries what the `items` of the answer name.
  const bulk = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const started = Date.now();
    const body = await l.body(request);
    const parsed = parseBulk(body, { defaultIndex: (request.params as { index?: string }).index, labels: l.opts.labels, labelFields: o.labelFields, now: l.ctx.now(), seqNo });
    seqNo += parsed.accepted;
    l.ctx.metrics.received(parsed.items.length, body.length);
    const refused = parsed.items.length - parsed.accepted;
    if (refused > 0) {
      l.ctx.metrics.error('receiving', refused);
      l.ctx.metrics.discarded('invalid_document', refused);
    }
    let release: (() => void) | undefined;
    try {
      release = l.admit();
      await l.emit(parsed.batch);
    } catch (e) {
      if (e instanceof HttpSourceError && (e.problem === 'saturated' || e.problem === 'unavailable')) return renderRetry(reply, parsed.items, e, Date.now() - started);
      throw e;
    } finally {
      release?.();
    }
    return reply.code(200).type('application/json').send(bulkResponse(parsed.items, Date.now() - started));
  };
  for (const method of ['POST', 'PUT'] as const) {
    app.route({ method, url: '/_bulk', handler: bulk });
    app.route({ method, url: '/:index/_bulk', handler: bulk });
  }

  const json = (reply: FastifyReply, body: object, code = 200): FastifyReply => reply.code(code).type('application/json').send(body);
  app.get('/', async (_q, reply) => json(reply, clusterInfo(o)));
  const health = async (_q: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    json(reply, {
      cluster_name: o.clusterName, status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1,
      active_primary_shards: 1, active_shards: 1, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0,
      delayed_unassigned_shards: 0, number_of_pending_tasks: 0, number_of_in_flight_fetch: 0,
      task_max_waiting_in_queue_millis: 0, active_shards_percent_as_number: 100.0,
    });
  app.get('/_cluster/health', health);
  app.get('/_cluster/health/*', health);
  // rsyslog's health check before (re)sending: any 2xx passes.
  app.get('/_cat/health', async (request, reply) => {
    const now = Math.floor(Date.now() / 1000);
    const hhmmss = new Date(now * 1000).toISOString().slice(11, 19);
    if (String((request.query as Record<string, unknown>)['format'] ?? '') === 'json') {
      return json(reply, [{ epoch: String(now), timestamp: hhmmss, cluster: o.clusterName, status: 'green', 'node.total': '1', 'node.data': '1' }]);
    }
    return reply.type('text/plain; charset=UTF-8').send(`${now} ${hhmmss} ${o.clusterName} green 1 1 1 1 0 0 0 0 - 100.0%\n`);
  });
  app.get('/_license', async (_q, reply) =>
    json(reply, { license: { status: 'active', uid: 'vigil', type: 'basic', issue_date: '2023-01-01T00:00:00.000Z', issue_date_in_millis: 1672531200000, max_nodes: 1000, issued_to: o.clusterName, issuer: 'elasticsearch', start_date_in_millis: -1 } }));
  app.get('/_xpack', async (_q, reply) => json(reply, { build: { hash: 'vigil', date: '2023-11-04T10:04:57.184859352Z' }, license: { uid: 'vigil', type: 'basic', mode: 'basic', status: 'active' }, features: {} }));
  const nodes = async (_q: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const addr = l.address();
    const publish = addr ? `${addr.address}:${addr.port}` : '';
    return json(reply, {
      _nodes: { total: 1, successful: 1, failed: 0 },
      cluster_name: o.clusterName,
      nodes: { vigil0: { name: o.nodeName, version: ES_VERSION, roles: ['data', 'ingest', 'master'], http: { publish_address: publish, bound_address: [publish] } } },
    });
  };
  app.get('/_nodes', nodes);
  app.get('/_nodes/*', nodes);

  // Templates and ILM policies are accepted and remembered (so a client that checks before
  // creating sees its own), but change nothing: Vigil has no mappings or index lifecycle.
  for (const kind of ['_template', '_index_template', '_ilm/policy', '_component_template']) {
    const saved = new Map<string, unknown>();
    const missing = (reply: FastifyReply, name: string): FastifyReply =>
      renderEsError(reply, new HttpSourceError('not_found', `${kind.replace(/^_/, '')} [${name}] missing`));
    app.get(`/${kind}/:name`, async (request, reply) => {
      const { name } = request.params as { name: string };
      const v = saved.get(name);
      if (v === undefined) return missing(reply, name);
      if (kind === '_index_template') return json(reply, { index_templates: [{ name, index_template: v }] });
      if (kind === '_component_template') return json(reply, { component_templates: [{ name, component_template: v }] });
      if (kind === '_ilm/policy') return json(reply, { [name]: { version: 1, modified_date: new Date().toISOString(), policy: (v as { policy?: unknown }).policy ?? v } });
      return json(reply, { [name]: v });
    });
    const put = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { name } = request.params as { name: string };
      const body = await l.body(request);
      let doc: unknown = {};
      if (body.length > 0) {
        try {
          doc = JSON.parse(body.toString('utf8'));
        } catch (e) {
          throw new HttpSourceError('bad_request', `${kind} [${name}]: body is not JSON: ${(e as Error).message}`);
        }
      }
      saved.set(name, doc);
      return json(reply, { acknowledged: true });
    };
    app.put(`/${kind}/:name`, put);
    app.post(`/${kind}/:name`, put);
  }

  // Creating an index or data stream up front: acknowledged; every index exists.
  app.put('/:index', async (request, reply) => {
    const { index } = request.params as { index: string };
    return json(reply, { acknowledged: true, shards_acknowledged: true, index });
  });
  app.head('/:index', async (_q, reply) => reply.code(200).send());
}
