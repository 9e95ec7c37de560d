/**
 * The `tls` probe: handshakes with any TLS port and judges the certificate chain (trust, name,
 * validity dates), reporting blackbox_exporter's TLS samples (as its tcp prober with `tls: true`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineProbe } from '../../probe.js';
import { IpProtocolOptions } from '../shared/resolve.js';
import { CertExpiryWarningDays, TlsConfig } from '../shared/tls.js';
import { TlsProber } from './prober.js';

/** Options of a `tls` monitor. */
export const tlsProbeSchema = Type.Object(
  {
    target: Type.String({ pattern: '^(\\[[^\\]]+\\]|[^:\\[\\]]+):\\d{1,5}$', description: 'host:port of the TLS service (`example.com:443`, `[::1]:8443`).' }),
    ...TlsConfig.properties,
    cert_expiry_warning_days: CertExpiryWarningDays,
    ...IpProtocolOptions,
  },
  { additionalProperties: false },
);
export type TlsProbeConfig = Static<typeof tlsProbeSchema>;

export default defineProbe({
  type: 'tls',
  description: 'Checks the certificate chain of a TLS port: trust, host name, expiry (blackbox_exporter tcp prober with tls).',
  schema: tlsProbeSchema,
  example: { target: 'example.com:443', cert_expiry_warning_days: 21 },
  build: (config, ctx) => new TlsProber(config, ctx),
});
