/**
 * What the network sinks (`http`, `loki`) share: the auth and TLS option schemas, one request
 * per batch through src/http/client.ts, and the mapping of HTTP answers to SinkResult
 * (2xx delivered; 408/429/5xx and network failures errored, Retry-After honoured; other 4xx rejected).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Agent } from 'undici';
import type { ComponentContext, SinkResult } from '../../components/contract.js';
import { VigilError } from '../../core/errors.js';
import { parseDuration } from '../../core/time.js';
import { Duration } from '../../config/types.js';
import { httpRequest, HttpError, tlsDispatcher, type HttpRequest, type HttpResponse } from '../../http/client.js';

export const AuthSchema = Type.Object(
  {
    username: Type.Optional(Type.String({ description: 'Basic auth user name (with `password`).' })),
    password: Type.Optional(Type.String({ description: 'Basic auth password; write `${VAR}` to take it from the environment.' })),
    bearer_token: Type.Optional(Type.String({ minLength: 1, description: 'Sent as `Authorization: Bearer <token>`.' })),
    api_key: Type.Optional(Type.String({ minLength: 1, description: 'An API key sent in the `api_key_header` header.' })),
    api_key_header: Type.Optional(Type.String({ minLength: 1, default: 'X-API-Key', description: 'Header that carries `api_key`.' })),
  },
  { additionalProperties: false, description: 'Authentication: basic (`username` + `password`), `bearer_token`, or `api_key` — one of them.' },
);

export const TlsSchema = Type.Object(
  {
    ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA(s) to trust instead of the system store.' })),
    cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate for mutual TLS (with `key_file`).' })),
    key_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of `cert_file`.' })),
    server_name: Type.Optional(Type.String({ minLength: 1, description: 'Name to verify the server certificate against (SNI), when it differs from the URL host.' })),
    insecure_skip_verify: Type.Optional(Type.Boolean({ default: false, description: 'Accept any server certificate. Only for testing: anyone on the path can read and alter the logs.' })),
  },
  { additionalProperties: false, description: 'TLS options for `https://` URLs.' },
);

export const TimeoutSchema = Duration({ default: '30s', description: 'A request not answered within this time is retried.' });

export type AuthConfig = Static<typeof AuthSchema>;
export type TlsConfig = Static<typeof TlsSchema>;

/** Request options derived once from a sink's config. */
export interface Transport {
  base: Pick<HttpRequest, 'token' | 'basicAuth' | 'timeoutMs' | 'dispatcher'>;
  headers: Record<string, string>;
  /** Closes the TLS connection pool, if any. */
  close(): Promise<void>;
}

/** Checks the auth combination and builds the TLS pool; throws CONFIG_INVALID naming `sinks.<id>`. */
export function buildTransport(ctx: ComponentContext, c: { auth?: AuthConfig | undefined; tls?: TlsConfig | undefined; timeout?: string | undefined }): Transport {
  const where = `sinks.${ctx.id}`;
  const a = c.auth ?? {};
  const kinds = [a.username !== undefined || a.password !== undefined, a.bearer_token !== undefined, a.api_key !== undefined].filter(Boolean).length;
  if (kinds > 1) throw new VigilError('CONFIG_INVALID', `${where}.auth: choose one of basic (username/password), bearer_token or api_key`);
  if ((a.username === undefined) !== (a.password === undefined)) throw new VigilError('CONFIG_INVALID', `${where}.auth: username and password go together`);
  const headers: Record<string, string> = {};
  if (a.api_key !== undefined) headers[(a.api_key_header ?? 'X-API-Key').toLowerCase()] = a.api_key;
  const timeoutMs = Math.max(1, Math.round((parseDuration(c.timeout ?? '30s') ?? 30_000_000) / 1000));
  let dispatcher: Agent | undefined;
  if (c.tls) {
    if (c.tls.insecure_skip_verify) {
      ctx.logger.warn({ sink: ctx.id }, `${where}.tls.insecure_skip_verify is ON: server certificates are NOT verified, anyone on the network path can read and alter these logs`);
    }
    try {
      dispatcher = tlsDispatcher({ caFile: c.tls.ca_file, certFile: c.tls.cert_file, keyFile: c.tls.key_file, serverName: c.tls.server_name, insecureSkipVerify: c.tls.insecure_skip_verify });
    } catch (e) {
      throw new VigilError('CONFIG_INVALID', `${where}.${(e as Error).message}`);
    }
  }
  return {
    base: {
      token: a.bearer_token,
      basicAuth: a.username !== undefined && a.password !== undefined ? { username: a.username, password: a.password } : undefined,
      timeoutMs,
      dispatcher,
    },
    headers,
    close: async () => {
      await dispatcher?.close();
    },
  };
}

/** Milliseconds from a Retry-After header (delta seconds or an HTTP date), or undefined. */
export function retryAfterMs(h: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = (Array.isArray(h) ? h[0] : h)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); Date.parse would also take `-3` as a year.
  if (!/^[A-Za-z]{3},/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** At most this much of a refusing server's body goes into the reason (dead-letter file, logs). */
const MAX_REASON = 1000;

/** Maps an answer to a SinkResult; `what` names the destination in messages. */
export function resultOf(res: HttpResponse, what: string): SinkResult {
  if (res.status >= 200 && res.status < 300) return { status: 'delivered' };
  let body = res.text().trim();
  if (body.length > MAX_REASON) body = `${body.slice(0, MAX_REASON)}…`;
  const msg = `${what} answered ${res.status}${body ? `: ${body}` : ''}`;
  if (res.status === 408 || res.status === 429 || res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) {
    const after = retryAfterMs(res.headers['retry-after']);
    return after === undefined ? { status: 'errored', error: msg } : { status: 'errored', error: msg, retryAfterMs: after };
  }
  return { status: 'rejected', reason: msg };
}

/** Sends one request; never throws (network failures become `errored`). */
export async function sendOnce(t: Transport, r: HttpRequest, what: string): Promise<SinkResult> {
  try {
    const res = await httpRequest({ ...t.base, ...r, headers: { ...t.headers, ...r.headers } });
    return resultOf(res, what);
  } catch (e) {
    return { status: 'errored', error: e instanceof HttpError ? e.message : `${what}: ${(e as Error).message}` };
  }
}

/** Counts a SinkResult on the component's metrics (entries `n`, line bytes `bytes`). */
export function countResult(ctx: ComponentContext, r: SinkResult, n: number, bytes: number): SinkResult {
  if (r.status === 'delivered') ctx.metrics.sent(n, bytes);
  else ctx.metrics.error('sending', n);
  return r;
}
