/**
 * The one outbound HTTP client (undici): timeouts, bearer auth, tenant header, and error texts that
 * never include the token. Every module that calls out over HTTP goes through here.
 */
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  token?: string | undefined;
  tenant?: string | undefined;
  signal?: AbortSignal;
  /** Basic auth; sent as `Authorization: Basic ...` (never included in error texts). */
  basicAuth?: { username: string; password: string } | undefined;
  /** A dispatcher from `tlsDispatcher` (custom CA, client certificate, skip-verify). */
  dispatcher?: Dispatcher | undefined;
  /** Largest response body read (default MAX_RESPONSE_BYTES); a larger one fails the request. */
  maxResponseBytes?: number;
}

/**
 * Response bodies are read into memory; a misbehaving or hostile server must not be able to grow
 * that without bound. 64 MiB is far above what any peer answers (an Elasticsearch bulk response
 * for 10,000 items is ~2 MB).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Reads a body up to `max` bytes; throws (and stops reading) beyond that. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(e?: Error): unknown }, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new HttpError(`response body larger than ${max} bytes; not read`);
    }
    chunks.push(c);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, n);
}

/** TLS options for outbound HTTPS; file paths are read once when the dispatcher is built. */
export interface TlsOptions {
  /** PEM file of the CA(s) to trust instead of the system's. */
  caFile?: string | undefined;
  /** PEM client certificate and key for mutual TLS (both or neither). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Accept any server certificate. Dangerous: callers must log a loud warning. */
  insecureSkipVerify?: boolean | undefined;
  /** SNI / certificate name to check instead of the URL's host. */
  serverName?: string | undefined;
}

/**
 * Builds a connection pool applying `tls`; sinks build one in `start` and close it in `stop`.
 * Throws (with the file path) when a CA/cert/key file cannot be read or only one of cert/key is set.
 */
export function tlsDispatcher(tls: TlsOptions): Agent {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new HttpError('tls: cert_file and key_file must be set together');
  }
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new HttpError(`tls.${what} ${path}: ${(e as Error).message}`);
    }
  };
  return new Agent({
    connect: {
      ...(tls.caFile !== undefined ? { ca: read('ca_file', tls.caFile) } : {}),
      ...(tls.certFile !== undefined ? { cert: read('cert_file', tls.certFile) } : {}),
      ...(tls.keyFile !== undefined ? { key: read('key_file', tls.keyFile) } : {}),
      ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
      rejectUnauthorized: tls.insecureSkipVerify !== true,
    },
  });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export class HttpError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Performs one request; rejects with HttpError on network failure or timeout (not on 4xx/5xx). */
export async function httpRequest(r: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'user-agent': 'vigil', ...r.headers };
  if (r.token) headers['authorization'] = `Bearer ${r.token}`;
  if (r.basicAuth) headers['authorization'] = `Basic ${Buffer.from(`${r.basicAuth.username}:${r.basicAuth.password}`).toString('base64')}`;
  if (r.tenant) headers['x-scope-orgid'] = r.tenant;
  const timeout = r.timeoutMs ?? 30_000;
  try {
    const res = await request(r.url, {
      method: r.method ?? 'GET',
      headers,
      body: r.body ?? null,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(r.signal ? { signal: r.signal } : {}),
      ...(r.dispatcher ? { dispatcher: r.dispatcher } : {}),
    });
    const body = await readCapped(res.body, r.maxResponseBytes ?? MAX_RESPONSE_BYTES);
    return {
      status: res.statusCode,
      headers: res.headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  } catch (e) {
    if (e instanceof HttpError) throw new HttpError(`${new URL(r.url).origin}: ${e.message}`);
    const code = (e as { code?: string }).code;
    const what = code === 'ECONNREFUSED' ? 'connection refused (is `vigil run` running there?)' : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? `no answer within ${timeout} ms` : (e as Error).message;
    throw new HttpError(`${new URL(r.url).origin}: ${what}`);
  }
}
