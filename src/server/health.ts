/**
 * Liveness and build information: GET /ready (never authenticated: load balancers probe it),
 * GET /loki/api/v1/status/buildinfo (Grafana reads Loki's version from it) and
 * GET /api/vigil/v1/status (version, uptime, readiness).
 */
import type { FastifyInstance } from 'fastify';

export interface HealthPluginOptions {
  ready: () => boolean;
  version: string;
  /** Process start, ms since the epoch (uptime is measured from it). */
  startedAt: number;
}

/** Registers /ready, Loki's buildinfo and the native status route; none of them can fail. */
export async function healthPlugin(app: FastifyInstance, opts: HealthPluginOptions): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const ok = opts.ready();
    return reply.code(ok ? 200 : 503).header('content-type', 'text/plain; charset=utf-8').send(ok ? 'ready\n' : 'not ready\n');
  });

  app.get('/loki/api/v1/status/buildinfo', async () => ({
    version: opts.version,
    revision: '',
    branch: '',
    buildUser: '',
    buildDate: '',
    goVersion: '',
    application: 'vigil',
    nodeVersion: process.version,
  }));

  app.get('/api/vigil/v1/status', async () => ({
    status: 'success',
    data: {
      version: opts.version,
      ready: opts.ready(),
      startedAt: new Date(opts.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - opts.startedAt) / 1000),
      nodeVersion: process.version,
    },
  }));
}
