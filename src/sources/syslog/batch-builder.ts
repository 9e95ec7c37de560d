/**
 * Accumulates parsed syslog messages into a LogBatch grouped by stream (static labels + host,
 * app, facility, level). One builder per TCP connection, one for the UDP socket.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import { facilityName, levelName, severityName, type SyslogMessage } from './parse.js';

export class BatchBuilder {
  private streams = new Map<string, StreamBatch>();
  /** Entries in the batch being built. */
  count = 0;
  /** Bytes of the message lines in the batch being built (UTF-16 length; close enough for limits). */
  bytes = 0;

  /** A message without HOSTNAME gets its peer's address as `host`. */
  constructor(private readonly staticLabels: Labels) {}

  /** Adds one message received from `sourceIp`. */
  add(m: SyslogMessage, sourceIp: string): void {
    const host = m.host || sourceIp;
    const key = `${m.pri}\u0000${host}\u0000${m.app}`;
    let s = this.streams.get(key);
    if (!s) {
      const labels: Labels = { ...this.staticLabels, host, facility: facilityName(m.pri), level: levelName(m.pri) };
      if (m.app) labels['app'] = m.app;
      s = { labels, ts: [], lines: [], fields: [] };
      this.streams.set(key, s);
    }
    const f: Record<string, string> = { severity: severityName(m.pri), source_ip: sourceIp };
    if (m.procid) f['procid'] = m.procid;
    if (m.msgid) f['msgid'] = m.msgid;
    if (m.sd) Object.assign(f, m.sd);
    s.ts.push(m.ts);
    s.lines.push(m.msg);
    (s.fields as Array<Record<string, string> | undefined>).push(f);
    this.count++;
    this.bytes += m.msg.length;
  }

  /** Hands out the batch built so far and starts a new one. */
  take(): LogBatch {
    const batch: LogBatch = { streams: [...this.streams.values()] };
    this.streams = new Map();
    this.count = 0;
    this.bytes = 0;
    return batch;
  }
}
