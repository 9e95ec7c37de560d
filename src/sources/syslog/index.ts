/**
 * The `syslog` source: receives syslog over UDP, TCP or TLS (like rsyslog's imudp/imtcp or
 * Vector's `syslog` source), RFC 3164 and RFC 5424 on the same port, octet-counted or newline
 * framing detected per frame.
 */
import { Type } from '@sinclair/typebox';
import { defineSource } from '../../components/contract.js';
import { ByteSize, Duration, LabelMap } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import { parseAddress, SyslogSource } from './syslog-source.js';
import { zoneFor } from './timestamps.js';

const Tls = Type.Object(
  {
    cert_file: Type.String({ minLength: 1, description: 'PEM certificate (chain) the listener presents.' }),
    key_file: Type.String({ minLength: 1, description: 'PEM private key of cert_file.' }),
    client_ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).' })),
  },
  { additionalProperties: false, description: "TLS settings; required when mode is 'tls'." },
);

const schema = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], {
      default: 'tcp',
      description: "Transport: 'udp' (one message per datagram), 'tcp', or 'tls' (TCP with TLS, RFC 5425). One listener per source; declare several sources for several listeners.",
    })),
    address: Type.Optional(Type.String({
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):\\d{1,5}$',
      default: '127.0.0.1:5514',
      description: 'host:port to listen on (`[::1]:5514` for IPv6; port 0 picks a free port). Loopback by default: listening on other interfaces (`0.0.0.0:514`) must be asked for.',
    })),
    tls: Type.Optional(Tls),
    labels: Type.Optional(LabelMap('Static labels added to every entry, beside `host` (the HOSTNAME, or the sender\'s address when the message has none), `app` (APP-NAME or TAG), `facility` and `level` taken from each message. PROCID, MSGID, the raw `severity`, `source_ip` and structured data (`sd_<id>_<param>`) become fields, not labels.')),
    timezone: Type.Optional(Type.String({
      minLength: 1,
      default: 'UTC',
      description: "Zone of timestamps that carry no offset (all RFC 3164 ones): 'UTC', 'local', a fixed offset like '+02:00', or an IANA name like 'Europe/Paris'. RFC 3164's missing year is the receive time's, or the previous one when that would put the message over a month in the future.",
    })),
    max_message_size: Type.Optional(ByteSize({ default: '64KiB', description: 'Longest message kept whole; longer ones are truncated to this size and counted (`discarded{reason="message_truncated"}`).' })),
    max_connections: Type.Optional(Type.Integer({ minimum: 1, default: 256, description: 'Most TCP/TLS connections open at once; further ones are closed at once and counted as receiving errors.' })),
    idle_timeout: Type.Optional(Duration({ default: '10m', description: "A TCP/TLS connection that sends nothing for this long is closed; '0s' never closes idle connections." })),
    udp_max_queued: Type.Optional(Type.Integer({ minimum: 1, default: 10000, description: 'UDP only: most messages held while the previous batch is still being delivered; more are dropped and counted (`discarded{reason="queue_full"}`), as UDP cannot be slowed down.' })),
    batch_max_lines: Type.Optional(Type.Integer({ minimum: 1, default: 1000, description: 'Most entries in one batch sent downstream (per connection).' })),
    batch_max_bytes: Type.Optional(ByteSize({ default: '1MiB', description: 'Most bytes of messages in one batch sent downstream (per connection).' })),
    batch_timeout: Type.Optional(Duration({ default: '100ms', description: 'Longest an incomplete batch waits for more messages before it is sent.' })),
  },
  { additionalProperties: false, description: 'Receives syslog messages over UDP, TCP or TLS.' },
);

function micros(text: string | undefined, fallback: string): number {
  return parseDuration(text ?? fallback) ?? (parseDuration(fallback) as number);
}

function bytes(v: string | number | undefined, fallback: string): number {
  return parseBytes(v ?? fallback) ?? (parseBytes(fallback) as number);
}

export default defineSource({
  kind: 'source',
  type: 'syslog',
  description: 'Receives syslog (RFC 3164 and RFC 5424; octet-counted or newline framing) over UDP, TCP or TLS.',
  schema,
  example: {
    mode: 'tcp',
    address: '127.0.0.1:5514',
    labels: { service: 'syslog' },
    timezone: 'UTC',
    max_message_size: '64KiB',
  },
  build(config, ctx) {
    const mode = config.mode ?? 'tcp';
    const addressText = config.address ?? '127.0.0.1:5514';
    const addr = parseAddress(addressText);
    if (!addr) throw new Error(`sources.${ctx.id}.address: ${JSON.stringify(addressText)} is not host:port with a port 0..65535`);
    if (mode === 'tls' && !config.tls) throw new Error(`sources.${ctx.id}.tls: required when mode is 'tls' (cert_file and key_file)`);
    let zone;
    try {
      zone = zoneFor(config.timezone ?? 'UTC');
    } catch (err) {
      throw new Error(`sources.${ctx.id}.timezone: ${(err as Error).message}`);
    }
    const maxMessageBytes = bytes(config.max_message_size, '64KiB');
    if (maxMessageBytes < 16) throw new Error(`sources.${ctx.id}.max_message_size: must be at least 16 bytes`);
    const t = config.tls;
    return new SyslogSource(ctx, {
      mode,
      host: addr.host,
      port: addr.port,
      labels: config.labels ?? {},
      zone,
      maxMessageBytes,
      maxConnections: config.max_connections ?? 256,
      idleTimeoutMs: micros(config.idle_timeout, '10m') / 1000,
      udpMaxQueued: config.udp_max_queued ?? 10000,
      limits: {
        maxLines: config.batch_max_lines ?? 1000,
        maxBytes: Math.max(1, bytes(config.batch_max_bytes, '1MiB')),
        timeoutMs: Math.max(1, micros(config.batch_timeout, '100ms') / 1000),
      },
      ...(t ? { tls: { certFile: t.cert_file, keyFile: t.key_file, ...(t.client_ca_file ? { clientCaFile: t.client_ca_file } : {}) } } : {}),
    });
  },
});
