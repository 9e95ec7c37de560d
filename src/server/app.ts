/**
 * The HTTP server `vigil run` starts: Loki-compatible push/query/labels/tail, Prometheus-compatible
 * query API and remote write (when a metrics store is given), /metrics, /ready
 * and Vigil's native status API. One plugin per API area; one error envelope (errors.ts);
 * auth, tenancy and request metrics as hooks on the root instance.
 */
import type { ScrapeManager } from '../scrape/index.js';
import type { MonitorService } from '../monitor/monitor-service.js';
import { registerMonitorRoutes } from '../monitor/routes.js';
import type { AgentRegistry } from './agents/registry.js';
import { agentsPlugin } from './agents/routes.js';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Micros } from '../core/time.js';
import type { LogBatch } from '../core/events.js';
import type { AppendFeed, LogAppender, LogQuerier } from '../store/interfaces.js';
import type { MetricsStore } from '../store/metrics/index.js';
import { installAuth } from './auth.js';
import { installErrorHandlers } from './errors.js';
import { healthPlugin } from './health.js';
import { labelsPlugin } from './loki/labels.js';
import { pushPlugin } from './loki/push.js';
import { queryPlugin } from './loki/query.js';
import { tailPlugin } from './loki/tail.js';
import type { LokiQueryData } from './loki/types.js';
import { createServerMetrics, installRequestMetrics, metricsPlugin } from './metrics.js';
import { prometheusApiPlugin } from './prometheus/api.js';
import { remoteWritePlugin } from './prometheus/remote-write.js';

export type { LokiQueryData } from './loki/types.js';

/** One LogQL evaluation as the HTTP API asks for it. Instant queries have start = end = the query time. */
export interface LogQueryRequest {
  tenant: string;
  query: string;
  start: Micros;
  end: Micros;
  step?: Micros;
  interval?: Micros;
  limit: number;
  direction: 'forward' | 'backward';
  kind: 'instant' | 'range';
  signal?: AbortSignal;
}

/**
 * The LogQL engine as the server sees it (implemented in src/query/logql/). It resolves with
 * Loki's `data` object; it rejects with VigilError BAD_QUERY for a query the user must fix
 * (answered 400), and should stop work when `signal` aborts (the server answers on timeout
 * without waiting for it).
 */
export interface LogQueryEngine {
  query(p: LogQueryRequest): Promise<LokiQueryData>;
  /** A filter over appended batches for live tail (matchers + pipeline); throws BAD_QUERY for bad or metric queries. */
  compileLiveFilter(query: string): (batch: LogBatch) => Array<{ labels: Record<string, string>; key: string; ts: Micros; line: string }>;
}

export interface ServerLimits {
  /** Push bodies larger than this (as sent, and after decompression) are refused with 413. */
  maxBodyBytes: number;
  maxStreamsPerPush: number;
  maxEntriesPerPush: number;
  /** Largest `limit` a query may ask for; larger is refused with 400 (never clamped). */
  maxQueryLimit: number;
  queryTimeoutMs: number;
  /** Pushed entries newer than now + this are refused. */
  maxFutureMicros: number;
  /** Pushed entries older than now - this are refused. */
  maxPastMicros: number;
  /** Open /tail websockets allowed at once (default 32). */
  maxConcurrentTails?: number;
}

export interface ServerOptions {
  logger: Logger;
  registry: Registry;
  appender: LogAppender;
  /** What `appender` durably took, live (for /tail). */
  feed: AppendFeed;
  querier: LogQuerier;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
  engine: LogQueryEngine;
  /** `tokens` empty = no auth (only allowed on loopback; the CLI enforces that). */
  auth: { tokens: string[]; publicMetrics: boolean };
  limits: ServerLimits;
  /**
   * false: X-Scope-OrgID is ignored and every request uses DEFAULT_TENANT.
   * true: X-Scope-OrgID names the tenant (validated as Loki does); a request without it uses DEFAULT_TENANT.
   */
  multiTenant: boolean;
  ready: () => boolean;
  version: string;
  /** The metrics store behind the Prometheus API (/api/v1/query…, /api/v1/write); absent = those routes are not served. */
  metricsStore?: MetricsStore;
  /** Monitors (probes, heartbeats): their API and the heartbeat push route. */
  monitors?: MonitorService;
  /** Agents reporting to this server. */
  agents?: AgentRegistry;
  /** Scraping, for /api/v1/targets and /api/v1/metadata. */
  scrape?: ScrapeManager;
  /** Turns an engine BAD_QUERY error into the message sent to the client (e.g. with a caret under the position). */
  parseErrorFormatter?: (query: string, err: unknown) => string;
}

/** Largest request header block accepted (Node's default is 16 KiB; long Grafana cookies fit). */
const MAX_HEADER_BYTES = 32 * 1024;
/** Time allowed to receive a whole request (slow-loris bound). */
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Builds the Fastify app (not listening; the CLI calls `listen`). Called once per process by
 * `vigil run`, and by tests with in-memory stores. Fails only on programming errors (plugin
 * registration); bad requests never throw out of the app.
 */
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    // Request metrics replace per-request log lines (a push every second per agent would flood the log).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.limits.maxBodyBytes,
    // Bounds receiving a request (slow loris) without an idle timeout that would cut quiet tails.
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { maxParamLength: 1024 },
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    return503OnClosing: true,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  const metrics = createServerMetrics(opts.registry);
  installErrorHandlers(app);
  // Before the auth hook: its onRequest hook marks upgrade requests, which must happen even
  // when auth refuses one, or the refused upgrade socket is never released and close() hangs.
  await app.register(websocket, { options: { maxPayload: 1 << 20 } });
  installRequestMetrics(app, metrics);
  installAuth(app, opts.auth, metrics);

  const lim = opts.limits;
  await app.register(healthPlugin, { ready: opts.ready, version: opts.version, startedAt: Date.now() - process.uptime() * 1000 });
  await app.register(metricsPlugin, { registry: opts.registry });
  await app.register(pushPlugin, { appender: opts.appender, metrics, limits: lim, multiTenant: opts.multiTenant });
  const readLimits = { maxQueryLimit: lim.maxQueryLimit, queryTimeoutMs: lim.queryTimeoutMs };
  await app.register(queryPlugin, {
    engine: opts.engine, metrics, limits: readLimits, multiTenant: opts.multiTenant, parseErrorFormatter: opts.parseErrorFormatter,
  });
  await app.register(labelsPlugin, { querier: opts.querier, multiTenant: opts.multiTenant });
  await app.register(tailPlugin, {
    engine: opts.engine, feed: opts.feed, metrics, limits: readLimits, multiTenant: opts.multiTenant,
    maxConcurrent: lim.maxConcurrentTails ?? 32,
  });
  if (opts.metricsStore) {
    await app.register(prometheusApiPlugin, {
      store: opts.metricsStore, multiTenant: opts.multiTenant, queryTimeoutMs: lim.queryTimeoutMs, version: opts.version,
      ...(opts.scrape ? { scrape: opts.scrape } : {}),
    });
    await app.register(remoteWritePlugin, { store: opts.metricsStore, metrics, multiTenant: opts.multiTenant, maxBodyBytes: lim.maxBodyBytes });
  }
  if (opts.monitors) {
    const svc = opts.monitors;
    await app.register(async (s) => registerMonitorRoutes(s, svc));
  }
  if (opts.agents) await app.register(agentsPlugin, { registry: opts.agents });
  return app;
}
