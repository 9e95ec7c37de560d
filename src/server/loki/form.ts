/**
 * Loki's read endpoints take parameters from the URL query and, for POST, from a form-encoded
 * body (Grafana sends POST for long queries). This registers the form parser in a plugin's
 * context and merges both sources the way Go's `r.Form` does (body first).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FormValues } from './params.js';

/** Form bodies of read requests are small; a larger one is refused with 413. */
const MAX_FORM_BYTES = 1 << 20;

/** Registers `application/x-www-form-urlencoded` parsing on `app` (the caller's encapsulated context). */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
}

/** The request's parameters (form body first, then URL query). */
export function formOf(request: FastifyRequest): FormValues {
  const body = request.body instanceof URLSearchParams ? request.body : undefined;
  return new FormValues(body, request.query as Record<string, unknown> | undefined);
}
