/**
 * The small HTTP app of `vigil agent`: /ready and /metrics only (an agent has no store and no
 * query API), behind the same auth hook, error envelope and request metrics as the server.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { installAuth } from './auth.js';
import { installErrorHandlers } from './errors.js';
import { healthPlugin } from './health.js';
import { createServerMetrics, installRequestMetrics, metricsPlugin } from './metrics.js';

export interface AgentServerOptions {
  logger: Logger;
  registry: Registry;
  auth: { tokens: string[]; publicMetrics: boolean };
  ready: () => boolean;
  version: string;
  tls?: { cert: Buffer; key: Buffer };
}

export async function buildAgentServer(opts: AgentServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  const metrics = createServerMetrics(opts.registry);
  installErrorHandlers(app);
  installRequestMetrics(app, metrics);
  installAuth(app, opts.auth, metrics);
  await app.register(healthPlugin, { ready: opts.ready, version: opts.version, startedAt: Date.now() - process.uptime() * 1000 });
  await app.register(metricsPlugin, { registry: opts.registry });
  return app;
}
