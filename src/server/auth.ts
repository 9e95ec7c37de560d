/**
 * Token authentication for every request except /ready (and /metrics when public).
 * Accepts `Authorization: Bearer <token>` and basic auth with any user name and the token as
 * password (Grafana's Loki data source sends basic auth). Tokens are compared in constant time.
 */
import { isPublicMonitorPath } from '../monitor/routes.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError } from '../core/errors.js';
import { sendError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

export interface AuthOptions {
  tokens: string[];
  publicMetrics: boolean;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Compares against every token (no early exit) over fixed-size digests, so timing reveals neither the match nor the length. */
export function makeTokenChecker(tokens: ReadonlyArray<string>): (candidate: string) => boolean {
  const digests = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(t, d) || ok;
    return ok;
  };
}

type Credential = { token: string } | { error: 'missing' | 'malformed' };

/** Extracts the presented token from the Authorization header. */
export function credentialOf(header: string | undefined): Credential {
  if (header === undefined || header.trim() === '') return { error: 'missing' };
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer' && value !== '') return { token: value };
  if (scheme === 'basic' && value !== '') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { error: 'malformed' };
    return { token: decoded.slice(colon + 1) };
  }
  return { error: 'malformed' };
}

function isExempt(request: FastifyRequest, opts: AuthOptions): boolean {
  const path = request.url.split('?')[0];
  if (path === '/ready') return true;
  // Heartbeat pushes are authenticated by their own secret token in the path (cron jobs have no API token).
  if (isPublicMonitorPath(request.url)) return true;
  return opts.publicMetrics && path === '/metrics';
}

/**
 * Adds the onRequest hook to `app` (the root instance). With no tokens configured, every
 * request passes (the CLI allows that only on loopback). Failures answer 401 in the API's
 * dialect and count in vigil_http_auth_failures_total{reason="missing"|"malformed"|"wrong"}.
 */
export function installAuth(app: FastifyInstance, opts: AuthOptions, metrics: ServerMetrics): void {
  if (opts.tokens.length === 0) return;
  const check = makeTokenChecker(opts.tokens);
  app.addHook('onRequest', async (request, reply) => {
    if (isExempt(request, opts)) return;
    const cred = credentialOf(request.headers.authorization);
    let reason: 'missing' | 'malformed' | 'wrong';
    if ('token' in cred) {
      if (check(cred.token)) return;
      reason = 'wrong';
    } else reason = cred.error;
    metrics.authFailures.inc({ reason });
    const message =
      reason === 'missing'
        ? 'authentication required: send "Authorization: Bearer <token>" or basic auth with the token as password'
        : reason === 'malformed'
          ? 'malformed Authorization header: use "Bearer <token>" or "Basic <base64(user:token)>"'
          : 'invalid token';
    reply.header('www-authenticate', 'Bearer realm="vigil", Basic realm="vigil"');
    return sendError(request, reply, new VigilError('UNAUTHORIZED', message));
  });
}
