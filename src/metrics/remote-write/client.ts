/**
 * One remote write 1.0 request and the classification of its outcome, as Prometheus's
 * storage/remote/client.go does it: 2xx delivered; 5xx, 429 (when retried) and network errors
 * recoverable (with the server's Retry-After); any other status non-recoverable.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { httpRequest } from '../../http/client.js';
import { VERSION } from '../../core/version.js';
import type { ResolvedRemoteWriteConfig } from './config.js';

export type SendOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; message: string; retryAfterMs?: number }
  | { kind: 'fail'; status: number; message: string };

/** Longest server message kept in logs. */
const MAX_MESSAGE = 512;

/** Retry-After as seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(v: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(v) ? v[0] : v;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new Error(`${what} ${path}: ${(e as Error).message}`);
  }
}

/** The Authorization header; secret files are read on each request so a rotated secret is picked up (as Prometheus does). */
function authorization(cfg: ResolvedRemoteWriteConfig): string | undefined {
  if (cfg.basicAuth) {
    const pw = cfg.basicAuth.passwordFile !== undefined ? readSecret(cfg.basicAuth.passwordFile, 'basic_auth.password_file') : (cfg.basicAuth.password ?? '');
    return `Basic ${Buffer.from(`${cfg.basicAuth.username}:${pw}`).toString('base64')}`;
  }
  if (cfg.authorization) {
    const a = cfg.authorization;
    const cred = a.credentialsFile !== undefined ? readSecret(a.credentialsFile, 'authorization.credentials_file') : (a.credentials ?? '');
    return `${a.type} ${cred}`;
  }
  return undefined;
}

/** Index of the URL in use per destination (rotates over `failoverUrls` on recoverable failures). */
const active = new WeakMap<ResolvedRemoteWriteConfig, number>();

function currentUrl(cfg: ResolvedRemoteWriteConfig): string {
  const urls = [cfg.url, ...(cfg.failoverUrls ?? [])];
  return urls[(active.get(cfg) ?? 0) % urls.length] as string;
}

function failover(cfg: ResolvedRemoteWriteConfig): void {
  if (cfg.failoverUrls && cfg.failoverUrls.length > 0) active.set(cfg, (active.get(cfg) ?? 0) + 1);
}

/**
 * Posts one snappy-compressed WriteRequest. Never throws: a secret file that cannot be read or a
 * network failure is a recoverable outcome (retried with backoff, logged by the caller).
 */
export async function sendWriteRequest(cfg: ResolvedRemoteWriteConfig, body: Buffer, tenant: string, dispatcher: Dispatcher | undefined, signal: AbortSignal): Promise<SendOutcome> {
  const headers: Record<string, string> = {
    ...cfg.headers,
    'content-encoding': 'snappy',
    'content-type': 'application/x-protobuf',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': `Vigil/${VERSION}`,
  };
  try {
    const auth = authorization(cfg);
    if (auth !== undefined) headers['authorization'] = auth;
  } catch (e) {
    return { kind: 'retry', message: (e as Error).message };
  }
  const hasTenantHeader = Object.keys(cfg.headers).some((h) => h.toLowerCase() === 'x-scope-orgid');
  let res;
  try {
    res = await httpRequest({
      method: 'POST',
      url: currentUrl(cfg),
      headers,
      body,
      timeoutMs: cfg.remoteTimeoutMs,
      tenant: tenant !== DEFAULT_TENANT && !hasTenantHeader ? tenant : undefined,
      // remote_timeout bounds the whole request, not only each idle gap (a trickling server).
      signal: AbortSignal.any([signal, AbortSignal.timeout(cfg.remoteTimeoutMs)]),
      dispatcher,
    });
  } catch (e) {
    failover(cfg);
    return { kind: 'retry', message: (e as Error).message };
  }
  if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
  if (res.status >= 500) failover(cfg);
  const text = res.text().trim().slice(0, MAX_MESSAGE);
  const message = `server returned HTTP status ${res.status}: ${text}`;
  if (res.status >= 500 || (res.status === 429 && cfg.queue.retryOnHttp429)) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
    return retryAfterMs !== undefined ? { kind: 'retry', message, retryAfterMs } : { kind: 'retry', message };
  }
  return { kind: 'fail', status: res.status, message };
}
