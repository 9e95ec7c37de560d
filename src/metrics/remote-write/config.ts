/**
 * `remote_write:` in Prometheus's own YAML syntax (config/config.go RemoteWriteConfig): same keys,
 * same defaults, same cross-field checks, plus Vigil's `buffer:` (the sender's disk buffer).
 * Every problem is reported with its path; nothing is clamped or fixed silently.
 */
import { checkPromHttpClient, resolvePromHttpClient } from '../../config/prom-http-client.js';
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { validateAgainst, type ConfigIssue } from '../../config/validate.js';
import { ByteSize, Duration } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import type { TlsOptions } from '../../http/client.js';
import { compileRelabelConfigs, RelabelConfigSchema, type CompiledRelabel } from '../../scrape/relabel.js';

const QueueConfigSchema = Type.Object(
  {
    capacity: Type.Optional(Type.Integer({ minimum: 1, description: 'Samples held in memory per shard before reading more from the disk buffer. Default 2500.' })),
    max_shards: Type.Optional(Type.Integer({ minimum: 1, description: 'Most parallel requests. Default 200.' })),
    min_shards: Type.Optional(Type.Integer({ minimum: 1, description: 'Fewest parallel requests (also the starting number). Default 1.' })),
    max_samples_per_send: Type.Optional(Type.Integer({ minimum: 1, description: 'Samples per request. Default 2000.' })),
    batch_send_deadline: Type.Optional(Duration({ description: 'Longest a sample waits in a shard for its request to fill up. Default 5s.' })),
    min_backoff: Type.Optional(Duration({ description: 'First retry delay, doubled on each retry. Default 30ms.' })),
    max_backoff: Type.Optional(Duration({ description: 'Longest retry delay. Default 5s.' })),
    retry_on_http_429: Type.Optional(Type.Boolean({ description: 'Retry on 429 Too Many Requests (else the batch is dropped and counted as failed). Default true.' })),
  },
  { additionalProperties: false, description: 'Batching, parallelism and retries (Prometheus queue_config).' },
);

const RemoteWriteBufferSchema = Type.Object(
  {
    max_size: Type.Optional(ByteSize({ description: 'Bound on the disk buffer (default 512MB).' })),
    when_full: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('drop_newest')], {
      description: '`block` (default): appends wait for space (probes, scrapes and host metrics slow down). `drop_newest`: new samples are refused, counted in vigil_remote_write_dropped_samples_total{reason="buffer_full"}.',
    })),
  },
  { additionalProperties: false, description: 'Vigil\'s disk buffer: samples are fsynced here before an append resolves, and survive restarts and outages of the receiver.' },
);

export const RemoteWriteConfigSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The receiver, e.g. http://prometheus:9090/api/v1/write or a Vigil server\'s /api/v1/write.' }),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Unique name (metrics label `remote_name`, buffer directory). Default: a hash of the url.' })),
    remote_timeout: Type.Optional(Duration({ description: 'Timeout of one request. Default 30s.' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra request headers (not the ones remote write itself sets).' })),
    write_relabel_configs: Type.Optional(Type.Array(RelabelConfigSchema, { description: 'Relabeling applied before samples enter the buffer; `drop`/`keep` filter what is sent.' })),
    basic_auth: Type.Optional(Type.Object({
      username: Type.Optional(Type.String({ description: 'User name.' })),
      password: Type.Optional(Type.String({ description: 'Password (or password_file).' })),
      password_file: Type.Optional(Type.String({ description: 'File holding the password, read on every request.' })),
    }, { additionalProperties: false, description: 'HTTP basic authentication.' })),
    authorization: Type.Optional(Type.Object({
      type: Type.Optional(Type.String({ description: 'Scheme of the Authorization header. Default Bearer.' })),
      credentials: Type.Optional(Type.String({ description: 'The token (or credentials_file).' })),
      credentials_file: Type.Optional(Type.String({ description: 'File holding the token, read on every request.' })),
    }, { additionalProperties: false, description: 'Authorization header, e.g. a bearer token (a Vigil server\'s API token).' })),
    bearer_token: Type.Optional(Type.String({ description: 'Deprecated: use authorization.' })),
    bearer_token_file: Type.Optional(Type.String({ description: 'Deprecated: use authorization.' })),
    tls_config: Type.Optional(Type.Object({
      ca_file: Type.Optional(Type.String({ description: 'PEM CA certificate(s) to trust instead of the system\'s.' })),
      cert_file: Type.Optional(Type.String({ description: 'PEM client certificate (mutual TLS, with key_file).' })),
      key_file: Type.Optional(Type.String({ description: 'PEM client key.' })),
      server_name: Type.Optional(Type.String({ description: 'Name to verify the server certificate against (SNI).' })),
      insecure_skip_verify: Type.Optional(Type.Boolean({ description: 'Do not verify the server certificate (dangerous; logged as a warning).' })),
    }, { additionalProperties: false, description: 'TLS for https URLs.' })),
    queue_config: Type.Optional(QueueConfigSchema),
    buffer: Type.Optional(RemoteWriteBufferSchema),
  },
  { additionalProperties: false },
);

/** The `remote_write:` list. */
export const RemoteWriteConfigsSchema = Type.Array(RemoteWriteConfigSchema, { description: 'Prometheus remote write destinations (Prometheus syntax), each with its own disk buffer.' });
export type RemoteWriteConfigInput = Static<typeof RemoteWriteConfigSchema>;

/** A validated destination with Prometheus's defaults applied. */
export interface ResolvedRemoteWriteConfig {
  url: string;
  /**
   * Further URLs taking the same data, tried in turn after a connection error, timeout or 5xx
   * (set for the destination derived from an agent's `vigil` sink and its list of servers).
   */
  failoverUrls?: string[];
  name: string;
  remoteTimeoutMs: number;
  headers: Record<string, string>;
  writeRelabel: CompiledRelabel[];
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  tls?: TlsOptions;
  queue: {
    capacity: number;
    maxShards: number;
    minShards: number;
    maxSamplesPerSend: number;
    batchSendDeadlineMs: number;
    minBackoffMs: number;
    maxBackoffMs: number;
    retryOnHttp429: boolean;
  };
  buffer: { maxBytes: number; whenFull: 'block' | 'drop_newest' };
}

/** Headers remote write sets itself; Prometheus refuses them in `headers` too. */
const RESERVED_HEADERS = ['authorization', 'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'www-authenticate', 'retry-after', 'x-prometheus-remote-write-version'];

const msOf = (d: string | undefined, dflt: number): number => {
  if (d === undefined) return dflt;
  const us = parseDuration(d);
  return us === undefined ? dflt : Math.round(us / 1000);
};

/**
 * Validates `raw` (a parsed `remote_write:` list) and resolves defaults. Returns the valid configs
 * and every issue with its path under `base`; callers refuse the whole config when `issues` is
 * not empty (a reload keeps the old senders).
 */
export function resolveRemoteWriteConfigs(raw: unknown, base: Array<string | number> = ['remote_write']): { configs: ResolvedRemoteWriteConfig[]; issues: ConfigIssue[] } {
  if (raw === undefined || raw === null) return { configs: [], issues: [] };
  const issues = validateAgainst(RemoteWriteConfigsSchema, raw, base);
  if (issues.length > 0) return { configs: [], issues };
  const list = raw as RemoteWriteConfigInput[];
  const configs: ResolvedRemoteWriteConfig[] = [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const path = [...base, i];
    const before = issues.length;
    let url: URL | undefined;
    try {
      url = new URL(c.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ path: [...path, 'url'], message: `unsupported scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))} for URL` });
    } catch {
      issues.push({ path: [...path, 'url'], message: `invalid URL ${JSON.stringify(c.url)}` });
    }
    const name = c.name ?? createHash('sha256').update(c.url).digest('hex').slice(0, 6);
    if (c.name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(c.name)) issues.push({ path: [...path, 'name'], message: 'must use only letters, digits, `_`, `.` and `-` (it names the buffer directory)' });
    if (names.has(name)) issues.push({ path: [...path, 'name'], message: c.name === undefined ? `duplicate remote write configs are not allowed, found duplicate for URL: ${c.url} (give each a distinct name)` : `found multiple remote write configs with name ${JSON.stringify(name)}` });
    names.add(name);
    for (const h of Object.keys(c.headers ?? {})) {
      if (RESERVED_HEADERS.includes(h.toLowerCase())) issues.push({ path: [...path, 'headers', h], message: `${h} is a reserved header. It must not be changed` });
    }
    checkPromHttpClient(c, path, issues);
    const q = c.queue_config ?? {};
    const minShards = q.min_shards ?? 1;
    const maxShards = q.max_shards ?? 200;
    if (minShards > maxShards) issues.push({ path: [...path, 'queue_config', 'min_shards'], message: `must be <= max_shards (${maxShards})` });
    const minBackoffMs = msOf(q.min_backoff, 30);
    const maxBackoffMs = msOf(q.max_backoff, 5000);
    if (minBackoffMs <= 0) issues.push({ path: [...path, 'queue_config', 'min_backoff'], message: 'must be > 0' });
    if (maxBackoffMs < minBackoffMs) issues.push({ path: [...path, 'queue_config', 'max_backoff'], message: 'must be >= min_backoff' });
    const batchSendDeadlineMs = msOf(q.batch_send_deadline, 5000);
    if (batchSendDeadlineMs <= 0) issues.push({ path: [...path, 'queue_config', 'batch_send_deadline'], message: 'must be > 0' });
    const remoteTimeoutMs = msOf(c.remote_timeout, 30_000);
    if (remoteTimeoutMs <= 0) issues.push({ path: [...path, 'remote_timeout'], message: 'must be > 0' });
    const maxBytes = parseBytes(c.buffer?.max_size ?? '512MB') ?? 0;
    if (maxBytes < 64 * 1024) issues.push({ path: [...path, 'buffer', 'max_size'], message: 'must be at least 64KiB' });
    const writeRelabel = compileRelabelConfigs(c.write_relabel_configs, [...path, 'write_relabel_configs'], issues);
    if (issues.length > before || !url) return;
    const r: ResolvedRemoteWriteConfig = {
      url: c.url,
      name,
      remoteTimeoutMs,
      headers: c.headers ?? {},
      writeRelabel,
      queue: {
        capacity: q.capacity ?? 2500,
        maxShards,
        minShards,
        maxSamplesPerSend: q.max_samples_per_send ?? 2000,
        batchSendDeadlineMs,
        minBackoffMs,
        maxBackoffMs,
        retryOnHttp429: q.retry_on_http_429 ?? true,
      },
      buffer: { maxBytes, whenFull: c.buffer?.when_full ?? 'block' },
    };
    Object.assign(r, resolvePromHttpClient(c));
    configs.push(r);
  });
  return { configs, issues };
}
