/**
 * Prometheus's HTTP API (web/api/v1/api.go) over the embedded metrics store and the PromQL
 * engine: query, query_range, series, labels, label values, metadata, buildinfo, targets.
 * Errors use Prometheus's envelope and statuses: bad_data 400, execution 422, timeout 503.
 */
import { metadataResponse, targetsResponse, type ScrapeManager } from '../../scrape/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVigilError } from '../../core/errors.js';
import { isValidLabelName, type LabelMatcher } from '../../core/labels.js';
import { exprType } from '../../query/promql/ast.js';
import { parsePromQL, PromQLEngine, PromQLParseError, type Expr, type VectorSelector } from '../../query/promql/index.js';
import type { MetricsStore } from '../../store/metrics/index.js';
import { formOf, registerFormParser } from '../loki/form.js';
import type { FormValues } from '../loki/params.js';
import { tenantOf } from '../tenant.js';
import { MAX_POINTS, MAX_TIME_MS, MIN_TIME_MS, parsePromDuration, parsePromTime } from './params.js';
import { RawJson, instantData, rangeResponse, success } from './results.js';

export interface PrometheusApiOptions {
  store: MetricsStore;
  multiTenant: boolean;
  /** Longest a query may run; a smaller `timeout` parameter shortens it. */
  queryTimeoutMs: number;
  version: string;
  /** Scraping, for /api/v1/targets and /api/v1/metadata. */
  scrape?: ScrapeManager;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
}

/** A Prometheus API error: errorType and status as api.go's respondError. */
export class PromApiError extends Error {
  constructor(readonly errorType: 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'not_found', message: string) {
    super(message);
  }
  get status(): number {
    return { bad_data: 400, execution: 422, timeout: 503, canceled: 499, internal: 500, not_found: 404 }[this.errorType];
  }
}

/** Sends `err` in Prometheus's envelope; errors that are not the API's own go to the global handler. */
function respondError(reply: FastifyReply, err: unknown): FastifyReply {
  let e: PromApiError | undefined;
  if (err instanceof PromApiError) e = err;
  else if (isVigilError(err)) {
    if (err.code === 'BAD_REQUEST') e = new PromApiError('bad_data', err.message);
    else if (err.code === 'QUERY_TIMEOUT') e = new PromApiError('timeout', err.message);
    else if (err.code === 'BAD_QUERY' || err.code === 'LIMIT_EXCEEDED') e = new PromApiError('execution', err.message);
  }
  if (!e) throw err;
  return reply.code(e.status).send({ status: 'error', errorType: e.errorType, error: e.message });
}

function parseQuery(text: string): Expr {
  try {
    return parsePromQL(text);
  } catch (e) {
    if (e instanceof PromQLParseError) throw new PromApiError('bad_data', `invalid parameter "query": ${e.message}`);
    throw e;
  }
}

/** The query budget: the server's limit, shortened by a `timeout` parameter. */
function timeoutOf(form: FormValues, max: number): number {
  const t = form.get('timeout');
  if (t === '') return max;
  const ms = parsePromDuration('timeout', t);
  return ms > 0 ? Math.min(ms, max) : max;
}

/** Parses every match[] selector into its matchers (bad_data naming the selector on failure). */
export function parseMatchers(texts: readonly string[]): LabelMatcher[][] {
  return texts.map((text) => {
    let expr: Expr;
    try {
      expr = parsePromQL(text);
    } catch (e) {
      if (e instanceof PromQLParseError) throw new PromApiError('bad_data', `invalid parameter "match[]": ${e.message}`);
      throw e;
    }
    if (expr.type !== 'VectorSelector') throw new PromApiError('bad_data', `invalid parameter "match[]": 1:1: parse error: expected type instant vector in selector, got ${exprType(expr)}`);
    const sel: VectorSelector = expr;
    return sel.matchers;
  });
}

function bounds(form: FormValues): { start: number; end: number } {
  const start = parsePromTime('start', form.get('start'), MIN_TIME_MS);
  const end = parsePromTime('end', form.get('end'), MAX_TIME_MS);
  if (end < start) throw new PromApiError('bad_data', 'end timestamp must not be before start time');
  return { start, end };
}

/** Runs `fn` with an abort signal that fires after `ms`; a fired timer becomes Prometheus's timeout error. */
async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return await fn(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) throw new PromApiError('timeout', 'query timed out in expression evaluation');
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Sorted union of per-matcher-set string lists (Prometheus merges label names/values across match[]). */
async function unionOver(sets: LabelMatcher[][], fn: (ms: LabelMatcher[]) => Promise<string[]>): Promise<string[]> {
  if (sets.length === 0) return fn([]);
  const all = new Set<string>();
  for (const ms of sets) for (const x of await fn(ms)) all.add(x);
  return [...all].sort();
}

/** Registers the /api/v1 read routes. */
export async function prometheusApiPlugin(app: FastifyInstance, opts: PrometheusApiOptions): Promise<void> {
  registerFormParser(app);
  const now = opts.now ?? Date.now;
  const route = (url: string, handler: (request: FastifyRequest, form: FormValues, tenant: string) => Promise<unknown>) => {
    app.route({
      method: ['GET', 'POST'],
      url,
      handler: async (request, reply) => {
        try {
          const tenant = tenantOf(request, opts.multiTenant);
          const out = await handler(request, formOf(request), tenant);
          if (out instanceof RawJson) return reply.type('application/json; charset=utf-8').send(out.body);
          return out;
        } catch (e) {
          return respondError(reply, e);
        }
      },
    });
  };
  const engineFor = (tenant: string, timeoutMs: number) => new PromQLEngine(opts.store.querier(tenant), { timeoutMs });

  route('/api/v1/query', async (_req, form, tenant) => {
    const timeMs = parsePromTime('time', form.get('time'), now());
    const timeoutMs = timeoutOf(form, opts.queryTimeoutMs);
    const expr = parseQuery(form.get('query'));
    const r = await withTimeout(timeoutMs, (signal) => engineFor(tenant, timeoutMs).instantQuery(expr, timeMs, { signal }));
    return success(instantData(r.value, timeMs), r.warnings, r.infos);
  });

  route('/api/v1/query_range', async (_req, form, tenant) => {
    const start = parsePromTime('start', form.get('start') || undefined, NaN);
    if (Number.isNaN(start)) throw new PromApiError('bad_data', 'invalid parameter "start": cannot parse "" to a valid timestamp');
    const end = parsePromTime('end', form.get('end') || undefined, NaN);
    if (Number.isNaN(end)) throw new PromApiError('bad_data', 'invalid parameter "end": cannot parse "" to a valid timestamp');
    if (end < start) throw new PromApiError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
    const stepText = form.get('step');
    if (stepText === '') throw new PromApiError('bad_data', 'invalid parameter "step": cannot parse "" to a valid duration');
    const step = parsePromDuration('step', stepText);
    if (step <= 0) throw new PromApiError('bad_data', 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    // For safety, limit the number of returned points per timeseries (api.go does the same).
    if ((end - start) / step > MAX_POINTS) {
      throw new PromApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const timeoutMs = timeoutOf(form, opts.queryTimeoutMs);
    const expr = parseQuery(form.get('query'));
    const t = exprType(expr);
    if (t !== 'vector' && t !== 'scalar') {
      throw new PromApiError('bad_data', `invalid parameter "query": invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`);
    }
    const r = await withTimeout(timeoutMs, (signal) => engineFor(tenant, timeoutMs).rangeQuery(expr, start, end, step, { signal }));
    return rangeResponse(r);
  });

  route('/api/v1/series', async (_req, form, tenant) => {
    const texts = form.getAll('match[]');
    if (texts.length === 0) throw new PromApiError('bad_data', 'no match[] parameter provided');
    const sets = parseMatchers(texts);
    const { start, end } = bounds(form);
    return success(await opts.store.series(tenant, sets, start, end));
  });

  route('/api/v1/labels', async (_req, form, tenant) => {
    const sets = parseMatchers(form.getAll('match[]'));
    const { start, end } = bounds(form);
    return success(await unionOver(sets, (ms) => opts.store.labelNames(tenant, start, end, ms)));
  });

  app.route<{ Params: { name: string } }>({
    method: ['GET', 'POST'],
    url: '/api/v1/label/:name/values',
    handler: async (request, reply) => {
      try {
        const tenant = tenantOf(request, opts.multiTenant);
        const form = formOf(request);
        let name = request.params.name;
        // Prometheus 3's escaping for UTF-8 names: U__ prefix, _xx_ hex escapes.
        if (name.startsWith('U__')) name = name.slice(3).replace(/_([0-9a-fA-F]+)_/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16))).replace(/__/g, '_');
        if (!isValidLabelName(name)) throw new PromApiError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
        const sets = parseMatchers(form.getAll('match[]'));
        const { start, end } = bounds(form);
        return success(await unionOver(sets, (ms) => opts.store.labelValues(tenant, name, start, end, ms)));
      } catch (e) {
        return respondError(reply, e);
      }
    },
  });

  // Metadata comes from scrapes (remote write 1.0 sends it separately; that is not stored yet).
  route('/api/v1/metadata', async (_r, form) => {
    const lim = form.get('limit') ?? '';
    const lpm = form.get('limit_per_metric') ?? '';
    if (!opts.scrape) return success({});
    return success(metadataResponse(opts.scrape, { metric: form.get('metric') || undefined, limit: lim === '' ? undefined : Number(lim), limitPerMetric: lpm === '' ? undefined : Number(lpm) }));
  });
  route('/api/v1/targets', async (_r, form) =>
    success(opts.scrape ? targetsResponse(opts.scrape, { state: form.get('state'), scrapePool: form.get('scrapePool') }) : { activeTargets: [], droppedTargets: [], droppedTargetCounts: {} }),
  );
  route('/api/v1/status/buildinfo', async () =>
    success({ version: opts.version, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: `node${process.versions.node}` }),
  );
}
