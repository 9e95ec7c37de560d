/**
 * Turns frames into parsed messages for a Flusher, counting what was received, truncated and
 * refused. Shared by the TCP/TLS connections and the UDP socket.
 */
import type { SourceContext } from '../../components/contract.js';
import type { Flusher } from './flusher.js';
import { newMessage, parseSyslog, type ParseOptions } from './parse.js';
import type { Zone } from './timestamps.js';

export class Intake {
  private readonly msg = newMessage();
  private readonly opts: ParseOptions;
  /** Counted per chunk, reported in one metrics call. */
  private frames = 0;
  private bytes = 0;

  constructor(
    private readonly ctx: SourceContext,
    zone: Zone,
  ) {
    this.opts = { zone, now: 0 };
  }

  /** Call once per received chunk/datagram before its frames: fixes the receive time. */
  begin(): void {
    this.opts.now = this.ctx.now();
  }

  /** Parses one frame and hands it to `to`; a bad frame is counted, logged at debug and dropped. */
  frame(buf: Buffer, start: number, end: number, truncated: boolean, sourceIp: string, to: Flusher): void {
    this.frames++;
    this.bytes += end - start;
    if (truncated) this.ctx.metrics.discarded('message_truncated', 1);
    const bad = parseSyslog(buf, start, end, this.opts, this.msg);
    if (bad) {
      this.ctx.metrics.error('receiving');
      this.ctx.metrics.discarded(bad, 1);
      this.ctx.logger.debug({ error: bad, source_ip: sourceIp, frame: buf.toString('utf8', start, Math.min(end, start + 120)) }, 'syslog frame refused');
      return;
    }
    to.add(this.msg, sourceIp);
  }

  /** A framing problem (bytes skipped); counted as a receiving error. */
  problem(reason: string, detail: string, sourceIp: string): void {
    this.ctx.metrics.error('receiving');
    this.ctx.metrics.discarded(reason, 1);
    this.ctx.logger.debug({ error: detail, source_ip: sourceIp }, `syslog ${reason.replace(/_/g, ' ')}`);
  }

  /** Reports the frames counted since the last call. */
  report(): void {
    if (this.frames === 0) return;
    this.ctx.metrics.received(this.frames, this.bytes);
    this.frames = 0;
    this.bytes = 0;
  }
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) → `1.2.3.4`. */
export function plainIp(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
