/**
 * The config keys every HTTP push source shares (`elasticsearch`, `otlp`, `http_server`): where to
 * listen, TLS, authentication, body and concurrency limits, static labels. Each source spreads
 * `listenerProperties(...)` into its own strict schema and calls `resolveListener` in `build`.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { isLoopback } from '../../cli/security.js';
import type { ComponentContext } from '../../components/contract.js';
import { ByteSize, LabelMap } from '../../config/types.js';
import { parseBytes } from '../../core/units.js';
import { parseAddress } from '../syslog/syslog-source.js';
import type { HttpListenerOptions } from './listener.js';

const Tls = Type.Object(
  {
    cert_file: Type.String({ minLength: 1, description: 'PEM certificate (chain) the listener presents.' }),
    key_file: Type.String({ minLength: 1, description: 'PEM private key of cert_file.' }),
  },
  { additionalProperties: false, description: 'Serve HTTPS with this certificate instead of plain HTTP.' },
);

const Auth = Type.Object(
  {
    basic: Type.Optional(Type.Object(
      {
        username: Type.String({ minLength: 1, description: 'User name clients send with basic auth.' }),
        password: Type.String({ minLength: 1, description: 'Password clients send with basic auth (use `${ENV_VAR}`).' }),
      },
      { additionalProperties: false, description: 'Accept `Authorization: Basic` with this user and password.' },
    )),
    tokens: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Accept `Authorization: Bearer <token>` (or `ApiKey <token>`) with any of these tokens.' })),
  },
  { additionalProperties: false, description: 'Require credentials on every request (basic and/or bearer). Required to listen on a non-loopback address.' },
);

/** The shared properties, with the source's default listen address in the docs. */
export function listenerProperties(defaultListen: string) {
  return {
    listen: Type.Optional(Type.String({
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):\\d{1,5}$',
      default: defaultListen,
      description: `host:port to listen on (port 0 picks a free port). Loopback by default; a non-loopback address (\`0.0.0.0:${defaultListen.split(':')[1] ?? ''}\`) is refused unless \`auth\` is set.`,
    })),
    tls: Type.Optional(Tls),
    auth: Type.Optional(Auth),
    max_body_bytes: Type.Optional(ByteSize({ default: '10MiB', description: 'Largest request body, before and after gzip/deflate decoding; larger requests are answered 413 without being read.' })),
    max_inflight_requests: Type.Optional(Type.Integer({ minimum: 1, default: 64, description: 'Most requests waiting for the pipeline at once; more are answered 429 (retry later) so senders back off.' })),
    labels: Type.Optional(LabelMap('Static labels added to every stream this source emits.')),
  };
}

const shared = Type.Object(listenerProperties('127.0.0.1:0'));
/** The shared part of a source config. */
export type ListenerConfig = Static<typeof shared>;

/**
 * Turns the shared keys into listener options. Throws an Error naming `sources.<id>.<key>` when
 * the address is malformed, a TLS file is unreadable, or a non-loopback address has no auth.
 */
export function resolveListener(config: ListenerConfig, ctx: ComponentContext, defaultListen: string): HttpListenerOptions {
  const where = `sources.${ctx.id}`;
  const listen = config.listen ?? defaultListen;
  const addr = parseAddress(listen);
  if (!addr) throw new Error(`${where}.listen: ${JSON.stringify(listen)} is not host:port with a port 0..65535`);
  const tokens = config.auth?.tokens ?? [];
  const basic = config.auth?.basic;
  if (!isLoopback(addr.host) && tokens.length === 0 && !basic) {
    throw new Error(`${where}.listen: refusing to listen on ${listen} without auth: anyone who can reach it could write your logs. Set ${where}.auth (basic or tokens) or listen on 127.0.0.1.`);
  }
  const maxBody = parseBytes(config.max_body_bytes ?? '10MiB');
  if (maxBody === undefined || maxBody < 1) throw new Error(`${where}.max_body_bytes: must be at least 1 byte`);
  let tls: HttpListenerOptions['tls'];
  if (config.tls) {
    try {
      tls = { cert: readFileSync(config.tls.cert_file), key: readFileSync(config.tls.key_file) };
    } catch (e) {
      throw new Error(`${where}.tls: ${(e as Error).message}`);
    }
  }
  return {
    host: addr.host,
    port: addr.port,
    maxBodyBytes: maxBody,
    maxInflight: config.max_inflight_requests ?? 64,
    labels: config.labels ?? {},
    auth: tokens.length > 0 || basic ? { tokens, ...(basic ? { basic } : {}) } : undefined,
    tls,
  };
}
