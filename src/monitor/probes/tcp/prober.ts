/** The tcp probe's run. */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { goRegExp } from '../../../core/regex.js';
import type { ProbeContext, ProbeOutcome, Prober } from '../../probe.js';
import { handshake, LineReader, openTcp } from '../shared/connect.js';
import { failureReason, raceAbort, Samples, since } from '../shared/outcome.js';
import { resolveHost, splitHostPort } from '../shared/resolve.js';
import { addTlsSamples, checkTlsPair, expiryWarning, TlsFiles, type ChainFacts } from '../shared/tls.js';
import type { TcpProbeConfig } from './index.js';
import { isIP } from 'node:net';

const noop = (): void => {};

/** Built once per tcp monitor; each run opens and closes its own connection. */
export class TcpProber implements Prober {
  private readonly host: string;
  private readonly port: number;
  private readonly tlsFiles: TlsFiles;
  private readonly steps: Array<{ expect?: RegExp; expectSrc?: string; send?: string; starttls: boolean }>;

  constructor(private readonly cfg: TcpProbeConfig, _ctx: ProbeContext) {
    ({ host: this.host, port: this.port } = splitHostPort(cfg.target));
    checkTlsPair(cfg.tls_config, 'tls_config.');
    this.tlsFiles = new TlsFiles(cfg.tls_config);
    this.steps = (cfg.query_response ?? []).map((q) => ({
      ...(q.expect !== undefined ? { expect: goRegExp(q.expect), expectSrc: q.expect } : {}),
      ...(q.send !== undefined ? { send: q.send } : {}),
      starttls: q.starttls ?? false,
    }));
  }

  async run(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
    const started = performance.now();
    const s = new Samples();
    let reason: string | undefined;
    let warning: string | undefined;
    let regexFailed = false;
    let sock: Socket | undefined;
    let facts: ChainFacts | undefined;
    try {
      const addr = await raceAbort(resolveHost(this.host, this.cfg.ip_protocol ?? 'ip4', this.cfg.ip_protocol_fallback ?? true), signal);
      s.add('probe_dns_lookup_time_seconds', addr.lookupSeconds);
      s.add('probe_ip_protocol', addr.family);
      const tlsOpts = this.cfg.tls || this.steps.some((q) => q.starttls) ? await this.tlsFiles.options() : {};
      const servername = tlsOpts.servername ?? (isIP(this.host) ? undefined : this.host);
      const upgrade = async (raw: Socket): Promise<TLSSocket> => {
        const t = await handshake({ ...tlsOpts, socket: raw, ...(servername ? { servername } : {}) }, signal);
        t.on('error', noop);
        facts = addTlsSamples(t, s);
        return t;
      };
      sock = await openTcp(addr.address, this.port, signal);
      sock.on('error', noop);
      if (this.cfg.tls) sock = await upgrade(sock);
      let reader = new LineReader(sock, signal);
      let groups: RegExpExecArray | null = null;
      try {
        for (const q of this.steps) {
          if (q.expect) {
            let line: string | null;
            while ((line = await reader.next()) !== null) {
              groups = q.expect.exec(line);
              if (groups) break;
            }
            if (!groups) {
              regexFailed = true;
              throw new Error(`expected ${JSON.stringify(q.expectSrc)} but the connection ended`);
            }
          }
          if (q.send !== undefined) {
            const m = groups;
            const text = q.send.replace(/\$\{(\d+)\}/g, (_all, n: string) => m?.[Number(n)] ?? '');
            sock.write(`${text}\n`);
          }
          if (q.starttls) {
            reader.detach();
            sock = await upgrade(sock);
            reader = new LineReader(sock, signal);
          }
        }
      } finally {
        reader.detach();
      }
      if (facts) warning = expiryWarning(facts, this.cfg.cert_expiry_warning_days ?? 14);
    } catch (err) {
      reason = failureReason(err, signal, timeoutMs);
    } finally {
      sock?.destroy();
    }
    s.add('probe_failed_due_to_regex', regexFailed ? 1 : 0);
    const out: ProbeOutcome = { success: reason === undefined, durationSeconds: since(started), samples: s.list };
    if (reason !== undefined) out.reason = reason;
    if (warning !== undefined) out.warning = warning;
    return out;
  }
}
