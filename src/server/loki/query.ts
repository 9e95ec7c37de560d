/**
 * GET|POST /loki/api/v1/query and /loki/api/v1/query_range: parameters as Loki parses them,
 * evaluation by the LogQL engine under a timeout (the abort signal reaches the engine, and the
 * answer does not wait for an engine that ignores it), answers `{status:"success", data}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVigilError, VigilError } from '../../core/errors.js';
import { formatDuration, MICROS_PER_MS } from '../../core/time.js';
import type { ServerMetrics } from '../metrics.js';
import { tenantOf } from '../tenant.js';
import { formOf, registerFormParser } from './form.js';
import { parseInstantParams, parseRangeParams } from './params.js';
import type { LokiQueryData } from './types.js';
import type { LogQueryEngine, LogQueryRequest } from '../app.js';

export interface QueryPluginOptions {
  engine: LogQueryEngine;
  metrics: ServerMetrics;
  limits: { maxQueryLimit: number; queryTimeoutMs: number };
  multiTenant: boolean;
  parseErrorFormatter?: ((query: string, err: unknown) => string) | undefined;
}

/**
 * Runs `req` on the engine, aborting it after `timeoutMs` or when the client goes away.
 * Throws QUERY_TIMEOUT on timeout, the engine's VigilError as is (BAD_QUERY messages go
 * through `formatParseError` when given), anything else as the engine threw it.
 */
export async function runEngineQuery(
  engine: LogQueryEngine,
  req: Omit<LogQueryRequest, 'signal'>,
  opts: { timeoutMs: number; reply?: FastifyReply; formatParseError?: ((query: string, err: unknown) => string) | undefined },
): Promise<LokiQueryData> {
  const ac = new AbortController();
  const timeoutError = new VigilError(
    'QUERY_TIMEOUT',
    `query timed out after ${formatDuration(opts.timeoutMs * MICROS_PER_MS)}: narrow the time range or add label matchers (prefer = over =~)`,
  );
  let rejectAbort: (e: unknown) => void = () => {};
  const aborted = new Promise<never>((_, rej) => {
    rejectAbort = rej;
  });
  const timer = setTimeout(() => {
    ac.abort(timeoutError);
    rejectAbort(timeoutError);
  }, opts.timeoutMs);
  const raw = opts.reply?.raw;
  const onClose = (): void => {
    if (raw && !raw.writableFinished) {
      const e = new VigilError('BAD_REQUEST', 'the client closed the request');
      ac.abort(e);
      rejectAbort(e);
    }
  };
  raw?.on('close', onClose);
  const running = engine.query({ ...req, signal: ac.signal });
  running.catch(() => {}); // lost race: its rejection is expected after an abort
  try {
    return await Promise.race([running, aborted]);
  } catch (e) {
    if (ac.signal.aborted && ac.signal.reason === timeoutError) throw timeoutError;
    if (isVigilError(e) && e.code === 'BAD_QUERY' && opts.formatParseError) {
      throw new VigilError('BAD_QUERY', opts.formatParseError(req.query, e), e.details, { cause: e });
    }
    throw e;
  } finally {
    clearTimeout(timer);
    raw?.off('close', onClose);
  }
}

async function answer(opts: QueryPluginOptions, reply: FastifyReply, req: Omit<LogQueryRequest, 'signal'>): Promise<FastifyReply> {
  const started = performance.now();
  try {
    const data = await runEngineQuery(opts.engine, req, { timeoutMs: opts.limits.queryTimeoutMs, reply, formatParseError: opts.parseErrorFormatter });
    return reply.send({ status: 'success', data });
  } finally {
    opts.metrics.queryDuration.observe({ kind: req.kind }, (performance.now() - started) / 1000);
  }
}

function instant(opts: QueryPluginOptions) {
  return (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const tenant = tenantOf(request, opts.multiTenant);
    const p = parseInstantParams(formOf(request), opts.limits.maxQueryLimit);
    return answer(opts, reply, { tenant, query: p.query, start: p.time, end: p.time, limit: p.limit, direction: p.direction, kind: 'instant' });
  };
}

function range(opts: QueryPluginOptions) {
  return (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const tenant = tenantOf(request, opts.multiTenant);
    const p = parseRangeParams(formOf(request), opts.limits.maxQueryLimit);
    const req: Omit<LogQueryRequest, 'signal'> = {
      tenant, query: p.query, start: p.start, end: p.end, step: p.step, limit: p.limit, direction: p.direction, kind: 'range',
    };
    if (p.interval !== undefined) req.interval = p.interval;
    return answer(opts, reply, req);
  };
}

/** Registers /query and /query_range (GET and POST). */
export async function queryPlugin(app: FastifyInstance, opts: QueryPluginOptions): Promise<void> {
  registerFormParser(app);
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query', handler: instant(opts) });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query_range', handler: range(opts) });
}
