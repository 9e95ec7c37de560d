/**
 * The `tcp` probe: connects (optionally over TLS) and runs blackbox_exporter's query_response
 * dialogue: expect a line matching a regex, send a line, upgrade with STARTTLS.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Regex } from '../../../config/types.js';
import { defineProbe } from '../../probe.js';
import { IpProtocolOptions } from '../shared/resolve.js';
import { CertExpiryWarningDays, TlsConfig } from '../shared/tls.js';
import { TcpProber } from './prober.js';

/** Options of a `tcp` monitor. */
export const tcpProbeSchema = Type.Object(
  {
    target: Type.String({ pattern: '^(\\[[^\\]]+\\]|[^:\\[\\]]+):\\d{1,5}$', description: 'host:port to connect to (`[::1]:22` for IPv6).' }),
    tls: Type.Optional(Type.Boolean({ default: false, description: 'Do a TLS handshake right after connecting.' })),
    tls_config: Type.Optional(TlsConfig),
    query_response: Type.Optional(Type.Array(Type.Object(
      {
        expect: Type.Optional(Regex({ description: 'Read lines until one matches this regular expression; the connection ending first fails the probe.' })),
        send: Type.Optional(Type.String({ description: 'Line sent (a newline is added); `${1}` is replaced by group 1 of the previous expect.' })),
        starttls: Type.Optional(Type.Boolean({ description: 'Upgrade the connection to TLS at this step (using tls_config).' })),
      },
      { additionalProperties: false },
    ), { description: 'Steps run in order after connecting, as in blackbox_exporter.' })),
    cert_expiry_warning_days: CertExpiryWarningDays,
    ...IpProtocolOptions,
  },
  { additionalProperties: false },
);
export type TcpProbeConfig = Static<typeof tcpProbeSchema>;

export default defineProbe({
  type: 'tcp',
  description: 'Connects to a TCP port, optionally with TLS and a send/expect dialogue (blackbox_exporter tcp prober).',
  schema: tcpProbeSchema,
  example: {
    target: 'mail.example.com:25',
    query_response: [{ expect: '^220 ' }, { send: 'EHLO vigil' }, { expect: '^250 ' }, { send: 'QUIT' }],
  },
  build: (config, ctx) => new TcpProber(config, ctx),
});
