/**
 * The UDP listener: one message per datagram (RFC 5426). UDP cannot be paused, so while an emit is
 * pending datagrams queue in the next batch up to `maxQueued`; beyond that they are dropped and
 * counted (`discarded{reason="queue_full"}`).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { SourceContext } from '../../components/contract.js';
import { Flusher, type FlushLimits } from './flusher.js';
import { Intake, plainIp } from './intake.js';
import type { Zone } from './timestamps.js';

export interface UdpListenerOptions {
  host: string;
  port: number;
  labels: Record<string, string>;
  zone: Zone;
  maxMessageBytes: number;
  /** Most messages held while an emit is pending. */
  maxQueued: number;
  limits: FlushLimits;
}

export class UdpListener {
  private socket: dgram.Socket | undefined;
  private readonly flusher: Flusher;
  private readonly intake: Intake;

  constructor(
    private readonly ctx: SourceContext,
    private readonly opts: UdpListenerOptions,
  ) {
    this.flusher = new Flusher(ctx, opts.labels, opts.limits, { busy: () => {}, idle: () => {} });
    this.intake = new Intake(ctx, opts.zone);
  }

  /** Binds the port; rejects with the socket error (e.g. EADDRINUSE). */
  async listen(): Promise<AddressInfo> {
    const o = this.opts;
    const socket = dgram.createSocket({ type: isIPv6(o.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.datagram(msg, plainIp(rinfo.address)));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: o.host, port: o.port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.warn({ error: err.message }, 'syslog UDP socket error');
    });
    return socket.address();
  }

  private datagram(msg: Buffer, ip: string): void {
    const f = this.flusher;
    if (f.pending && f.builder.count >= this.opts.maxQueued) {
      this.ctx.metrics.discarded('queue_full', 1);
      return;
    }
    this.intake.begin();
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    if (end === 0) return;
    const truncated = end > this.opts.maxMessageBytes;
    this.intake.frame(msg, 0, truncated ? this.opts.maxMessageBytes : end, truncated, ip, f);
    this.intake.report();
  }

  /** Closes the socket and sends what was queued. Idempotent. */
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    await this.flusher.drain();
    this.flusher.dispose();
  }
}
