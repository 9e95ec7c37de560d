/**
 * The one outbound HTTP client (undici): timeouts, bearer auth, tenant header, and error texts that
 * never include the token. Every module that calls out over HTTP goes through here.
 */
import { request } from 'undici';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  token?: string | undefined;
  tenant?: string | undefined;
  signal?: AbortSignal;
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
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      headers: res.headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const what = code === 'ECONNREFUSED' ? 'connection refused (is `vigil run` running there?)' : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? `no answer within ${timeout} ms` : (e as Error).message;
    throw new HttpError(`${new URL(r.url).origin}: ${what}`);
  }
}
