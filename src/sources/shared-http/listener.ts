/**
 * The HTTP listener the push sources share: one Fastify instance per source with optional TLS,
 * authentication, a raw-Buffer body bounded by `max_body_bytes` (413 from Content-Length before
 * anything is buffered), admission control (429 when saturated or stopping) and an `emit` that
 * turns a pipeline refusal into 503. Each source adds its routes and renders errors in its API's
 * shape through `HttpListenerSpec`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteShorthandOptions } from 'fastify';
import type { SourceContext } from '../../components/contract.js';
import { batchBytes, batchSize, type LogBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import { makeTokenChecker } from '../../server/auth.js';
import { decodeContentEncoding, HttpSourceError } from './body.js';

export interface HttpListenerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxInflight: number;
  labels: Labels;
  auth: { tokens: string[]; basic?: { username: string; password: string } } | undefined;
  tls: { cert: Buffer; key: Buffer } | undefined;
}

/** What a source plugs into the listener. */
export interface HttpListenerSpec {
  /** The source type, for logs and errors. */
  name: string;
  /** Registers the source's routes; handlers use the listener's `body`, `admit` and `emit`. */
  routes(app: FastifyInstance, listener: HttpListener): void;
  /** Answers a refused request in the source's API dialect. */
  renderError(reply: FastifyReply, err: HttpSourceError, request: FastifyRequest): FastifyReply;
  /** Headers set on every response (e.g. `X-Elastic-Product`). */
  headers?: Record<string, string>;
}

export class HttpListener {
  private app: FastifyInstance | undefined;
  private bound: AddressInfo | undefined;
  private stopping = false;
  private closed: Promise<void> | undefined;
  private inflight = 0;
  private readonly checkToken: ((t: string) => boolean) | undefined;
  private readonly checkBasic: ((t: string) => boolean) | undefined;

  constructor(
    readonly ctx: SourceContext,
    readonly opts: HttpListenerOptions,
    private readonly spec: HttpListenerSpec,
  ) {
    const a = opts.auth;
    this.checkToken = a && a.tokens.length > 0 ? makeTokenChecker(a.tokens) : undefined;
    this.checkBasic = a?.basic ? makeTokenChecker([`${a.basic.username}:${a.basic.password}`]) : undefined;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const app = Fastify({
      logger: false,
      bodyLimit: o.maxBodyBytes,
      return503OnClosing: true,
      ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
    }) as unknown as FastifyInstance;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));
    const headers = this.spec.headers ?? {};
    app.addHook('onRequest', async (request, reply) => {
      for (const [k, v] of Object.entries(headers)) reply.header(k, v);
      if (o.auth) this.authenticate(request, reply);
    });
    app.setErrorHandler((error, request, reply) => {
      const err = this.toSourceError(error);
      if (err.status >= 500 || err.problem === 'too_large' || err.problem === 'bad_request') this.ctx.metrics.error('receiving');
      if (err.status >= 500) this.ctx.logger.warn({ error: err.message, url: request.url }, `${this.spec.name} source refused a request`);
      else this.ctx.logger.debug({ error: err.message, url: request.url }, `${this.spec.name} source refused a request`);
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return this.spec.renderError(reply, err, request);
    });
    app.setNotFoundHandler((request, reply) =>
      this.spec.renderError(reply, new HttpSourceError('not_found', `no handler for ${request.method} ${request.url.split('?')[0]}`), request));
    this.spec.routes(app, this);
    this.app = app;
    try {
      await app.listen({ host: o.host, port: o.port });
    } catch (e) {
      this.app = undefined;
      await app.close().catch(() => {});
      throw new Error(`${this.spec.name} source ${this.ctx.id}: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
    }
    this.bound = app.server.address() as AddressInfo;
    this.ctx.logger.info({ address: `${this.bound.address}:${this.bound.port}`, tls: Boolean(o.tls) }, `${this.spec.name} source listening`);
  }

  /** The bound address (port 0 picks a free one); undefined before start. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  /**
   * Refuses new pushes with 429, then closes: requests already admitted finish (their emits
   * resolve or reject and they are answered), idle keep-alive connections are closed.
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.closed ??= (async () => {
      const app = this.app;
      this.app = undefined;
      if (app) await app.close();
    })();
    return this.closed;
  }

  /**
   * Reserves a slot for one push; call the returned release when answered. Throws `saturated`
   * (429) when `max_inflight_requests` pushes already wait for the pipeline or the source is stopping.
   */
  admit(): () => void {
    if (this.stopping) throw new HttpSourceError('saturated', `${this.spec.name} source is stopping; retry later`, 1);
    if (this.inflight >= this.opts.maxInflight) {
      this.ctx.metrics.discarded('saturated', 1);
      throw new HttpSourceError('saturated', `${this.inflight} requests already wait for the pipeline (max_inflight_requests); retry later`, 1);
    }
    this.inflight++;
    let done = false;
    return () => {
      if (!done) this.inflight--;
      done = true;
    };
  }

  /**
   * Route options for a push route: admission (429 when saturated or stopping) happens in
   * onRequest, before the body is read; the slot is released once the answer is sent or the
   * client went away.
   */
  pushHooks(): Pick<RouteShorthandOptions, 'onRequest' | 'onResponse' | 'onRequestAbort'> {
    const slots = new WeakMap<FastifyRequest, () => void>();
    const release = async (request: FastifyRequest): Promise<void> => {
      slots.get(request)?.();
      slots.delete(request);
    };
    return {
      onRequest: async (request) => {
        slots.set(request, this.admit());
      },
      onResponse: release,
      onRequestAbort: release,
    };
  }

  /** The request body with Content-Encoding undone, bounded by max_body_bytes. */
  async body(request: FastifyRequest): Promise<Buffer> {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return decodeContentEncoding(request.headers['content-encoding'], raw, this.opts.maxBodyBytes);
  }

  /**
   * Hands a batch downstream and resolves once every sink took it durably. A pipeline refusal
   * becomes HttpSourceError `unavailable` (503, Retry-After 1) so the sender retries.
   */
  async emit(batch: LogBatch): Promise<void> {
    const n = batchSize(batch);
    if (n === 0) return;
    const bytes = batchBytes(batch);
    try {
      await this.ctx.emit(batch);
    } catch (e) {
      this.ctx.metrics.error('processing', n);
      throw new HttpSourceError('unavailable', `the pipeline did not take the entries (${(e as Error).message}); retry later`, 1);
    }
    this.ctx.metrics.sent(n, bytes);
  }

  private authenticate(request: FastifyRequest, reply: FastifyReply): void {
    const header = request.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    let ok = false;
    if ((scheme === 'bearer' || scheme === 'apikey') && value && this.checkToken) ok = this.checkToken(value);
    else if (scheme === 'basic' && value && this.checkBasic) ok = this.checkBasic(Buffer.from(value, 'base64').toString('utf8'));
    if (ok) return;
    this.ctx.metrics.discarded('unauthorized', 1);
    if (this.checkBasic) reply.header('www-authenticate', 'Basic realm="vigil", charset="UTF-8"');
    throw new HttpSourceError('unauthorized', header ? 'wrong or unsupported credentials' : 'missing credentials: send Authorization: Basic or Bearer');
  }

  private toSourceError(error: unknown): HttpSourceError {
    if (error instanceof HttpSourceError) return error;
    const e = error as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      this.ctx.metrics.discarded('too_large', 1);
      return new HttpSourceError('too_large', `request body is larger than max_body_bytes (${this.opts.maxBodyBytes} bytes)`);
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new HttpSourceError('bad_request', e.message ?? 'bad request');
    this.ctx.logger.error({ error: e.message ?? String(error) }, `${this.spec.name} source failed on a request`);
    return new HttpSourceError('unavailable', `internal error: ${e.message ?? String(error)}`);
  }
}
