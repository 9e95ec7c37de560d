/**
 * The `http` probe: one request (following redirects), judged by status, body, JSON value,
 * latency and TLS, reporting blackbox_exporter's http prober samples (prober/http.go).
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineProbe } from '../../probe.js';
import { Duration, Regex } from '../../../config/types.js';
import { HttpProber } from './prober.js';
import { IpProtocolOptions } from '../shared/resolve.js';
import { CertExpiryWarningDays, TlsConfig } from '../shared/tls.js';

/** Options of an `http` monitor (validated by the monitor config; defaults applied before build). */
export const httpProbeSchema = Type.Object(
  {
    url: Type.String({ pattern: '^[hH][tT][tT][pP][sS]?://', description: 'The URL requested: http:// or https://.' }),
    method: Type.Optional(Type.String({ pattern: '^[A-Z]+$', default: 'GET', description: 'HTTP method.' })),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Request headers.' })),
    body: Type.Optional(Type.String({ description: 'Request body (sent as is; set a content-type header to match).' })),
    basic_auth: Type.Optional(Type.Object(
      { username: Type.String(), password: Type.String() },
      { additionalProperties: false, description: 'HTTP basic authentication.' },
    )),
    bearer_token: Type.Optional(Type.String({ minLength: 1, description: 'Sent as `Authorization: Bearer <token>`.' })),
    valid_status_codes: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { description: 'Status codes that count as up; empty or absent means any 2xx.' })),
    follow_redirects: Type.Optional(Type.Boolean({ default: true, description: 'Follow up to 10 redirects; when false a 3xx is the final answer (list it in valid_status_codes).' })),
    fail_if_ssl: Type.Optional(Type.Boolean({ default: false, description: 'Fail when the final response came over TLS.' })),
    fail_if_not_ssl: Type.Optional(Type.Boolean({ default: false, description: 'Fail when the final response did not come over TLS.' })),
    fail_if_body_matches_regexp: Type.Optional(Type.Array(Regex(), { description: 'Fail when the body matches any of these regular expressions.' })),
    fail_if_body_not_matches_regexp: Type.Optional(Type.Array(Regex(), { description: 'Fail unless the body matches every one of these regular expressions.' })),
    keywords: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Plain texts that must all appear in the body.' })),
    forbidden_keywords: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Plain texts that must not appear in the body.' })),
    json_path: Type.Optional(Type.String({ pattern: '^\\$', description: 'A JSONPath (`$.status`, `$.checks[0].ok`, `$["a b"]`) that must exist in the JSON body.' })),
    json_equals: Type.Optional(Type.String({ description: 'With json_path: the value it must have (strings compare bare, other values as JSON text: `true`, `3`).' })),
    max_latency: Type.Optional(Duration({ description: 'Fail when the whole exchange (redirects included) takes longer than this.' })),
    tls: Type.Optional(TlsConfig),
    cert_expiry_warning_days: CertExpiryWarningDays,
    ...IpProtocolOptions,
  },
  { additionalProperties: false },
);
export type HttpProbeConfig = Static<typeof httpProbeSchema>;

export default defineProbe({
  type: 'http',
  description: 'Requests a URL and checks status, body, JSON value, latency and TLS certificate (blackbox_exporter http prober).',
  schema: httpProbeSchema,
  example: {
    url: 'https://example.com/health',
    valid_status_codes: [200],
    json_path: '$.status',
    json_equals: 'ok',
    max_latency: '2s',
  },
  build: (config, ctx) => new HttpProber(config, ctx),
});
