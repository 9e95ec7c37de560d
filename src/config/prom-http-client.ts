/**
 * Prometheus's HTTP client settings (`basic_auth`, `authorization`, `bearer_token[_file]`,
 * `tls_config`) as scrape jobs and remote write destinations share them: the same checks with
 * Prometheus's messages, and one resolved shape for src/http/client.ts.
 */
import type { TlsOptions } from '../http/client.js';
import type { ConfigIssue } from './validate.js';

export interface PromHttpClientRaw {
  basic_auth?: { username?: string; password?: string; password_file?: string };
  authorization?: { type?: string; credentials?: string; credentials_file?: string };
  bearer_token?: string;
  bearer_token_file?: string;
  tls_config?: { ca_file?: string; cert_file?: string; key_file?: string; server_name?: string; insecure_skip_verify?: boolean };
}

export interface PromHttpClient {
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  tls?: TlsOptions;
}

/** Pushes Prometheus's validation errors of the client settings at `path`. */
export function checkPromHttpClient(c: PromHttpClientRaw, path: Array<string | number>, issues: ConfigIssue[]): void {
  const auths = [c.basic_auth, c.authorization, c.bearer_token ?? c.bearer_token_file].filter((x) => x !== undefined).length;
  if (auths > 1) issues.push({ path, message: 'at most one of basic_auth, authorization, bearer_token & bearer_token_file must be configured' });
  if (c.bearer_token !== undefined && c.bearer_token_file !== undefined) issues.push({ path, message: 'at most one of bearer_token & bearer_token_file must be configured' });
  if (c.basic_auth?.password !== undefined && c.basic_auth.password_file !== undefined) issues.push({ path: [...path, 'basic_auth'], message: 'at most one of basic_auth password & password_file must be configured' });
  if (c.authorization?.credentials !== undefined && c.authorization.credentials_file !== undefined) issues.push({ path: [...path, 'authorization'], message: 'at most one of authorization credentials & credentials_file must be configured' });
  if (c.authorization?.type !== undefined && c.authorization.type.toLowerCase() === 'basic') issues.push({ path: [...path, 'authorization', 'type'], message: 'authorization type cannot be set to "basic", use "basic_auth" instead' });
  if ((c.tls_config?.cert_file === undefined) !== (c.tls_config?.key_file === undefined)) issues.push({ path: [...path, 'tls_config'], message: 'cert_file and key_file must be set together' });
}

/** The resolved settings (deprecated `bearer_token[_file]` folded into `authorization`). */
export function resolvePromHttpClient(c: PromHttpClientRaw): PromHttpClient {
  const r: PromHttpClient = {};
  if (c.basic_auth) r.basicAuth = { username: c.basic_auth.username ?? '', ...(c.basic_auth.password !== undefined ? { password: c.basic_auth.password } : {}), ...(c.basic_auth.password_file !== undefined ? { passwordFile: c.basic_auth.password_file } : {}) };
  const token = c.bearer_token ?? c.authorization?.credentials;
  const tokenFile = c.bearer_token_file ?? c.authorization?.credentials_file;
  if (token !== undefined || tokenFile !== undefined || c.authorization) {
    r.authorization = { type: c.authorization?.type ?? 'Bearer', ...(token !== undefined ? { credentials: token } : {}), ...(tokenFile !== undefined ? { credentialsFile: tokenFile } : {}) };
  }
  if (c.tls_config) {
    const t = c.tls_config;
    r.tls = { caFile: t.ca_file, certFile: t.cert_file, keyFile: t.key_file, serverName: t.server_name, insecureSkipVerify: t.insecure_skip_verify };
  }
  return r;
}
