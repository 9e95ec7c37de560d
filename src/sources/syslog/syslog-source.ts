/**
 * The `syslog` source as a Service: one UDP, TCP or TLS listener, bound on `start`, closed (with
 * its last batches sent) on `stop`.
 */
import type { AddressInfo } from 'node:net';
import type { Source, SourceContext } from '../../components/contract.js';
import type { FlushLimits } from './flusher.js';
import { StreamListener } from './stream-listener.js';
import type { Zone } from './timestamps.js';
import { UdpListener } from './udp-listener.js';

export interface SyslogSourceOptions {
  mode: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  labels: Record<string, string>;
  zone: Zone;
  maxMessageBytes: number;
  maxConnections: number;
  idleTimeoutMs: number;
  udpMaxQueued: number;
  limits: FlushLimits;
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
}

/** Splits `host:port` / `[v6]:port`; undefined when it is not that shape or the port is out of range. */
export function parseAddress(address: string): { host: string; port: number } | undefined {
  const i = address.lastIndexOf(':');
  if (i <= 0) return undefined;
  let host = address.slice(0, i);
  const portText = address.slice(i + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) return undefined;
  return host ? { host, port } : undefined;
}

export class SyslogSource implements Source {
  private listener: StreamListener | UdpListener | undefined;
  private bound: AddressInfo | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly ctx: SourceContext,
    private readonly opts: SyslogSourceOptions,
  ) {}

  async start(): Promise<void> {
    const o = this.opts;
    const l =
      o.mode === 'udp'
        ? new UdpListener(this.ctx, { host: o.host, port: o.port, labels: o.labels, zone: o.zone, maxMessageBytes: o.maxMessageBytes, maxQueued: o.udpMaxQueued, limits: o.limits })
        : new StreamListener(this.ctx, {
            host: o.host, port: o.port, labels: o.labels, zone: o.zone, maxMessageBytes: o.maxMessageBytes,
            maxConnections: o.maxConnections, idleTimeoutMs: o.idleTimeoutMs, limits: o.limits,
            ...(o.mode === 'tls' && o.tls ? { tls: o.tls } : {}),
          });
    this.listener = l;
    try {
      this.bound = await l.listen();
    } catch (err) {
      this.listener = undefined;
      await l.close().catch(() => {});
      throw new Error(`syslog source ${this.ctx.id}: cannot listen on ${o.mode} ${o.host}:${o.port}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.ctx.logger.info({ mode: o.mode, address: `${this.bound.address}:${this.bound.port}` }, 'syslog source listening');
  }

  /** The bound address (port 0 in the config picks a free one); undefined before start. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  /** Open TCP/TLS connections (0 for UDP). */
  connections(): number {
    return this.listener instanceof StreamListener ? this.listener.connections : 0;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const l = this.listener;
      this.listener = undefined;
      if (l) await l.close();
    })();
    return this.stopping;
  }
}
