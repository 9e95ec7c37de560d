/**
 * The monitors' HTTP API: `GET /api/vigil/v1/monitors` (state of every monitor),
 * `GET /api/vigil/v1/monitors/:name/history?since=` (transitions and runs) and the heartbeat push
 * route `GET|POST /api/vigil/v1/push/:token`, which is authenticated by its token alone (cron jobs
 * carry no API token), so the server's auth hook must let it through: see isPublicMonitorPath.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError } from '../core/errors.js';
import { parseDuration, parseRfc3339 } from '../core/time.js';
import { parseHeartbeatParams } from './heartbeat.js';
import type { MonitorService } from './monitor-service.js';

/** Path prefix of the push route; requests under it skip API-token auth (the token is in the path). */
export const MONITOR_PUBLIC_PATH_PREFIX = '/api/vigil/v1/push/';

/** True for a request URL (path + query) the server must not ask an API token for. */
export function isPublicMonitorPath(url: string): boolean {
  return url.startsWith(MONITOR_PUBLIC_PATH_PREFIX);
}

const MAX_PUSH_BODY = 16 * 1024;
const DEFAULT_HISTORY_MS = 86_400_000;

/** `since` as RFC 3339, unix seconds, or a duration meaning that long ago. */
function parseSince(text: unknown, nowMs: number): number {
  if (text === undefined || text === '') return nowMs - DEFAULT_HISTORY_MS;
  if (typeof text !== 'string') throw new VigilError('BAD_REQUEST', 'since: must be a string');
  const rfc = parseRfc3339(text);
  if (rfc !== undefined) return Math.floor(rfc / 1000);
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const ago = parseDuration(text);
  if (ago !== undefined) return nowMs - Math.round(ago / 1000);
  throw new VigilError('BAD_REQUEST', `since: expected RFC 3339, unix seconds or a duration like 6h, got ${JSON.stringify(text)}`);
}

function pushParams(request: FastifyRequest): Record<string, unknown> {
  const q = { ...((request.query as Record<string, unknown> | undefined) ?? {}) };
  const body = request.body;
  if (body instanceof URLSearchParams) for (const [k, v] of body) q[k] ??= v;
  else if (typeof body === 'object' && body !== null && !Array.isArray(body)) for (const [k, v] of Object.entries(body)) q[k] ??= v;
  return q;
}

/**
 * Registers the routes on `app`. Call it inside an encapsulated plugin (it adds a form-body parser
 * to that context when none exists). Errors are thrown as VigilError and answered by the server's
 * one error envelope.
 */
export async function registerMonitorRoutes(app: FastifyInstance, svc: MonitorService): Promise<void> {
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_PUSH_BODY }, (_req, body, done) => {
      done(null, new URLSearchParams(body as string));
    });
  }

  app.get('/api/vigil/v1/monitors', async () => ({ status: 'success', data: svc.status() }));

  app.get<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/api/vigil/v1/monitors/:name/history', async (request) => {
    const since = parseSince(request.query['since'], Date.now());
    const h = svc.history(request.params.name, since);
    if (!h) throw new VigilError('NOT_FOUND', `no monitor named ${JSON.stringify(request.params.name)}`);
    return {
      status: 'success',
      data: {
        transitions: h.transitions.map((t) => ({ time: new Date(t.t).toISOString(), from: t.from, to: t.to, reason: t.reason })),
        runs: h.runs.map((r) => ({ time: new Date(r.t).toISOString(), success: r.success, latencyMs: r.latencyMs, ...(r.reason ? { reason: r.reason } : {}) })),
      },
    };
  });

  const push = async (request: FastifyRequest<{ Params: { token: string } }>): Promise<{ ok: true; monitor: string }> => {
    const params = parseHeartbeatParams(pushParams(request));
    const name = svc.heartbeat(request.params.token, params);
    if (name === undefined) throw new VigilError('NOT_FOUND', 'no heartbeat monitor with this token');
    return { ok: true, monitor: name };
  };
  app.get('/api/vigil/v1/push/:token', { bodyLimit: MAX_PUSH_BODY }, push);
  app.post('/api/vigil/v1/push/:token', { bodyLimit: MAX_PUSH_BODY }, push);
}
