/**
 * Accumulates parsed syslog messages into a LogBatch grouped by stream (static labels + host,
 * app, facility, level). One builder per TCP connection, one for the UDP socket.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import { facilityName, levelName, severityName, type SyslogMessage } from './parse.js';

export class BatchBuilder {
  /** Streams in creation order (the batch), and the same by PRI → host → app for lookups without building a key string per message. */
  private streams: StreamBatch[] = [];
  private byPri = new Map<number, Map<string, Map<string, StreamBatch>>>();
  /** Entries in the batch being built. */
  count = 0;
  /** Bytes of the message lines in the batch being built (UTF-16 length; close enough for limits). */
  bytes = 0;

  /** A message without HOSTNAME gets its peer's address as `host`. */
  constructor(private readonly staticLabels: Labels) {}

  /** Adds one message received from `sourceIp`. */
  add(m: SyslogMessage, sourceIp: string): void {
    const host = m.host || sourceIp;
    let byHost = this.byPri.get(m.pri);
    if (!byHost) {
      byHost = new Map();
      this.byPri.set(m.pri, byHost);
    }
    let byApp = byHost.get(host);
    if (!byApp) {
      byApp = new Map();
      byHost.set(host, byApp);
    }
    let s = byApp.get(m.app);
    if (!s) {
      const labels: Labels = { ...this.staticLabels, host, facility: facilityName(m.pri), level: levelName(m.pri) };
      if (m.app) labels['app'] = m.app;
      s = { labels, ts: [], lines: [], fields: [] };
      byApp.set(m.app, s);
      this.streams.push(s);
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
    const batch: LogBatch = { streams: this.streams };
    this.streams = [];
    this.byPri = new Map();
    this.count = 0;
    this.bytes = 0;
    return batch;
  }
}
