/**
 * The one place where errors become HTTP answers. VigilError codes map to statuses through the
 * catalog (src/core/errors.ts). Two bodies: Loki's API answers errors as `text/plain` messages
 * (Go's http.Error, which Grafana and logcli show verbatim); Vigil's native API and everything
 * else outside /loki/ answer Prometheus's JSON envelope `{status:"error", errorType, error}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isVigilError, VigilError, type ErrorCode } from '../core/errors.js';

/** Prometheus's errorType names for our codes, for the JSON envelope. */
const ERROR_TYPES: Record<ErrorCode, string> = {
  CONFIG_INVALID: 'bad_data',
  BAD_REQUEST: 'bad_data',
  BAD_QUERY: 'bad_data',
  PAYLOAD_TOO_LARGE: 'bad_data',
  UNSUPPORTED_MEDIA_TYPE: 'bad_data',
  LIMIT_EXCEEDED: 'bad_data',
  RATE_LIMITED: 'unavailable',
  UNAUTHORIZED: 'unauthorized',
  NOT_FOUND: 'not_found',
  QUERY_TIMEOUT: 'timeout',
  UNAVAILABLE: 'unavailable',
  STORE_CORRUPT: 'internal',
  INTERNAL: 'internal',
};

/** Fastify's own errors (body too large, bad media type, bad JSON) as catalog codes. */
function fromFastifyError(e: FastifyError): VigilError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new VigilError('PAYLOAD_TOO_LARGE', `request body is larger than the limit: ${e.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new VigilError('UNSUPPORTED_MEDIA_TYPE', e.message);
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new VigilError('PAYLOAD_TOO_LARGE', e.message);
    if (e.statusCode === 415) return new VigilError('UNSUPPORTED_MEDIA_TYPE', e.message);
    if (e.statusCode === 404) return new VigilError('NOT_FOUND', e.message);
    return new VigilError('BAD_REQUEST', e.message);
  }
  return undefined;
}

/** Any thrown value as a VigilError; unknown errors become INTERNAL (their text is logged, not sent). */
export function toVigilError(e: unknown): VigilError {
  if (isVigilError(e)) return e;
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const v = fromFastifyError(e as FastifyError);
    if (v) return v;
  }
  return new VigilError('INTERNAL', ErrorCodes.INTERNAL.message, undefined, { cause: e });
}

/** True for routes that speak Loki's error dialect. */
export function isLokiPath(url: string): boolean {
  return url.startsWith('/loki/');
}

/** Sends `err` as Loki does: status from the catalog, the message as text/plain. */
export function sendLokiError(reply: FastifyReply, err: VigilError): FastifyReply {
  return reply
    .code(err.status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`${err.message}\n`);
}

/** Sends `err` in the Prometheus-style JSON envelope of Vigil's native API. */
export function sendVigilError(reply: FastifyReply, err: VigilError): FastifyReply {
  return reply.code(err.status).send({ status: 'error', errorType: ERROR_TYPES[err.code], error: err.message });
}

/** Sends `err` in the dialect of the request's API area. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: VigilError): FastifyReply {
  return isLokiPath(request.url) ? sendLokiError(reply, err) : sendVigilError(reply, err);
}

/**
 * Installs the error and not-found handlers on the root instance (called once by buildServer).
 * 5xx errors are logged with their cause; the client sees only the catalog message.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const v = toVigilError(error);
    if (v.status >= 500) {
      request.log.error({ error: v.cause instanceof Error ? v.cause.message : v.message, code: v.code, url: request.routeOptions.url }, 'request failed');
    }
    return sendError(request, reply, v);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new VigilError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
}
