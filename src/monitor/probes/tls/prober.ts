/** The tls probe's run. */
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ProbeContext, ProbeOutcome, Prober } from '../../probe.js';
import { handshake } from '../shared/connect.js';
import { failureReason, raceAbort, Samples, since } from '../shared/outcome.js';
import { resolveHost, splitHostPort } from '../shared/resolve.js';
import { addTlsSamples, checkTlsPair, expiryWarning, TlsFiles, validityReason } from '../shared/tls.js';
import type { TlsProbeConfig } from './index.js';

/** OpenSSL/Node verification codes in an operator's words; unknown codes are shown as they are. */
const VERIFY_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer is unknown (unable to verify the first certificate)',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer is not trusted (unable to get local issuer certificate)',
  CERT_SIGNATURE_FAILURE: 'certificate signature is invalid',
  CERT_REVOKED: 'certificate is revoked',
  CERT_UNTRUSTED: 'certificate is not trusted',
  INVALID_CA: 'an issuer in the chain is not a valid CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
};

const noop = (): void => {};

/** Built once per tls monitor; each run opens and closes its own connection. */
export class TlsProber implements Prober {
  private readonly host: string;
  private readonly port: number;
  private readonly tlsFiles: TlsFiles;

  constructor(private readonly cfg: TlsProbeConfig, _ctx: ProbeContext) {
    ({ host: this.host, port: this.port } = splitHostPort(cfg.target));
    checkTlsPair(cfg);
    this.tlsFiles = new TlsFiles(cfg);
  }

  async run(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
    const started = performance.now();
    const s = new Samples();
    let reason: string | undefined;
    let warning: string | undefined;
    let sock: TLSSocket | undefined;
    try {
      const addr = await raceAbort(resolveHost(this.host, this.cfg.ip_protocol ?? 'ip4', this.cfg.ip_protocol_fallback ?? true), signal);
      s.add('probe_dns_lookup_time_seconds', addr.lookupSeconds);
      s.add('probe_ip_protocol', addr.family);
      const opts = await this.tlsFiles.options();
      const servername = opts.servername ?? (isIP(this.host) ? undefined : this.host);
      // Verification is judged here, not by Node, so an expired or untrusted chain still yields its
      // dates and a precise reason.
      sock = await handshake({ ...opts, host: addr.address, port: this.port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, signal);
      sock.on('error', noop);
      const facts = addTlsSamples(sock, s);
      if (!facts) reason = 'server sent no certificate';
      else {
        reason = validityReason(facts);
        if (!reason && !this.cfg.insecure_skip_verify && !sock.authorized) {
          const code = String(sock.authorizationError ?? 'verification failed');
          reason = VERIFY_REASONS[code] ?? code;
        }
        warning = expiryWarning(facts, this.cfg.cert_expiry_warning_days ?? 14);
      }
    } catch (err) {
      reason = failureReason(err, signal, timeoutMs);
    } finally {
      sock?.destroy();
    }
    const out: ProbeOutcome = { success: reason === undefined, durationSeconds: since(started), samples: s.list };
    if (reason !== undefined) out.reason = reason;
    if (warning !== undefined) out.warning = warning;
    return out;
  }
}
