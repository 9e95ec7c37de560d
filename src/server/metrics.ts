/**
 * The server's own metrics and the /metrics endpoint (Prometheus text format of the registry
 * handed in by the CLI, so every module's metrics appear in one scrape).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The metrics the server plugins record into; created once per registry. */
export interface ServerMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method'>;
  queryDuration: Histogram<'kind'>;
  pushRejected: Counter<'reason'>;
  pushedEntries: Counter<never>;
  authFailures: Counter<'reason'>;
  tailsActive: { inc(): void; dec(): void };
  tailDropped: Counter<never>;
}

/** Reuses a metric already in `registry` so that buildServer can run twice on one registry (tests, reloads). */
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Creates (or finds) the server metrics in `registry`. */
export function createServerMetrics(registry: Registry): ServerMetrics {
  const registers = [registry];
  const requests = once(registry, 'vigil_http_requests_total', () => new Counter({
    name: 'vigil_http_requests_total', help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const, registers,
  }));
  const requestDuration = once(registry, 'vigil_http_request_duration_seconds', () => new Histogram({
    name: 'vigil_http_request_duration_seconds', help: 'Time to answer HTTP requests, by route template.',
    labelNames: ['route', 'method'] as const, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
  }));
  const queryDuration = once(registry, 'vigil_query_duration_seconds', () => new Histogram({
    name: 'vigil_query_duration_seconds', help: 'LogQL query evaluation time, by kind (instant, range).',
    labelNames: ['kind'] as const, buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers,
  }));
  const pushRejected = once(registry, 'vigil_http_push_rejected_total', () => new Counter({
    name: 'vigil_http_push_rejected_total',
    help: 'Push rejections by reason: entries for per-entry/per-stream reasons, requests for whole-request reasons.',
    labelNames: ['reason'] as const, registers,
  }));
  const pushedEntries = once(registry, 'vigil_http_push_entries_total', () => new Counter({
    name: 'vigil_http_push_entries_total', help: 'Log entries accepted through the push API (durably stored).', registers,
  }));
  const authFailures = once(registry, 'vigil_http_auth_failures_total', () => new Counter({
    name: 'vigil_http_auth_failures_total', help: 'Requests refused for missing or wrong credentials.',
    labelNames: ['reason'] as const, registers,
  }));
  const tailsGauge = once(registry, 'vigil_http_tail_connections', () => new Gauge({
    name: 'vigil_http_tail_connections', help: 'Open /loki/api/v1/tail websockets.', registers,
  }));
  const tailDropped = once(registry, 'vigil_http_tail_dropped_entries_total', () => new Counter({
    name: 'vigil_http_tail_dropped_entries_total', help: 'Live tail entries dropped because the client read too slowly (reported to it as dropped_entries).', registers,
  }));
  return { requests, requestDuration, queryDuration, pushRejected, pushedEntries, authFailures, tailsActive: tailsGauge, tailDropped };
}

/**
 * Records request count and duration for every answered request, labelled with the route
 * template (`/loki/api/v1/label/:name/values`), never the raw URL, so cardinality stays bounded.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.requestDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
}

/** GET /metrics: the registry in Prometheus text format 0.0.4. */
export async function metricsPlugin(app: FastifyInstance, opts: { registry: Registry }): Promise<void> {
  app.get('/metrics', async (_request, reply) => {
    const body = await opts.registry.metrics();
    return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(body);
  });
}
