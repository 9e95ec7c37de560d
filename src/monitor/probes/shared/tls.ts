/**
 * TLS client settings and certificate metrics shared by the http, tcp and tls probes, named and
 * computed as blackbox_exporter does (prober/tls.go): earliest expiry over the presented chain,
 * expiry of the verified chain, leaf information, protocol version.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import type { Samples } from './outcome.js';

export const TlsConfig = Type.Object(
  {
    insecure_skip_verify: Type.Optional(Type.Boolean({ default: false, description: 'Accept any certificate (self-signed, wrong name, unknown CA). Expiry is still measured.' })),
    ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM bundle of CAs trusted instead of the system ones.' })),
    server_name: Type.Optional(Type.String({ minLength: 1, description: 'Name sent in SNI and checked against the certificate; defaults to the target host.' })),
    cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate, for servers that require mutual TLS (with key_file).' })),
    key_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of cert_file.' })),
  },
  { additionalProperties: false, description: 'TLS client settings.' },
);
export type TlsConfig = Static<typeof TlsConfig>;

export const CertExpiryWarningDays = Type.Optional(Type.Integer({
  minimum: 0,
  default: 14,
  description: "Warn (without failing) when a certificate of the chain expires in fewer days than this; 0 never warns. The warning reads 'certificate expires in N days'.",
}));

/** Build-time check: a client certificate needs its key and the other way round. */
export function checkTlsPair(cfg: TlsConfig | undefined, prefix = ''): void {
  if (!cfg) return;
  if ((cfg.cert_file === undefined) !== (cfg.key_file === undefined)) throw new Error(`${prefix}cert_file and ${prefix}key_file go together`);
}

/**
 * Reads the files of `cfg` once per prober (lazily: build must not do I/O) and returns node:tls
 * options. A missing file rejects with `ca_file: ENOENT ...`, which the prober reports as reason.
 */
export class TlsFiles {
  private loaded: Promise<ConnectionOptions> | undefined;
  constructor(private readonly cfg: TlsConfig | undefined) {}

  options(): Promise<ConnectionOptions> {
    this.loaded ??= this.load();
    // A failed read is retried next run (the file may appear), not cached forever.
    this.loaded.catch(() => { this.loaded = undefined; });
    return this.loaded;
  }

  private async load(): Promise<ConnectionOptions> {
    const c = this.cfg ?? {};
    const read = async (key: 'ca_file' | 'cert_file' | 'key_file'): Promise<Buffer | undefined> => {
      const p = c[key];
      if (!p) return undefined;
      try { return await readFile(p); } catch (err) { throw new Error(`tls.${key}: ${(err as Error).message}`); }
    };
    const [ca, cert, key] = await Promise.all([read('ca_file'), read('cert_file'), read('key_file')]);
    const o: ConnectionOptions = { rejectUnauthorized: !c.insecure_skip_verify };
    if (ca) o.ca = ca;
    if (cert) o.cert = cert;
    if (key) o.key = key;
    if (c.server_name) o.servername = c.server_name;
    return o;
  }
}

export interface ChainFacts {
  /** Earliest notAfter of every presented certificate, unix seconds. */
  earliestExpiry: number;
  /** Latest notBefore of every presented certificate, unix seconds. */
  latestNotBefore: number;
}

/** The presented chain, leaf first, following issuer links until a self-issued certificate. */
export function peerChain(socket: TLSSocket): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    chain.push(c);
    c = c.issuerCertificate;
  }
  return chain;
}

/** `TLSv1.3` → `TLS 1.3`, the label value Go's tls.VersionName gives blackbox_exporter. */
export function tlsVersionName(protocol: string | null): string {
  if (!protocol) return 'unknown';
  const m = /^TLSv(\d)(?:\.(\d))?$/.exec(protocol);
  return m ? `TLS 1.${m[2] ?? '0'}` : protocol;
}

/** `CN=x,O=y`: X509Certificate's newline form in Go's pkix.Name.String() order (reversed RDNs). */
function goName(dn: string): string {
  return dn.split('\n').filter(Boolean).reverse().join(',');
}

/**
 * Adds the TLS samples of a finished handshake: probe_ssl_earliest_cert_expiry,
 * probe_tls_version_info, and, when the chain was verified, probe_ssl_last_chain_expiry_timestamp_seconds
 * and probe_ssl_last_chain_info. Returns the chain's dates for expiry reasons/warnings, or
 * undefined when the peer sent no certificate.
 */
export function addTlsSamples(socket: TLSSocket, samples: Samples, withChainInfo = true): ChainFacts | undefined {
  samples.add('probe_tls_version_info', 1, { version: tlsVersionName(socket.getProtocol()) });
  const chain = peerChain(socket);
  if (chain.length === 0) return undefined;
  let earliest = Infinity;
  let latestStart = -Infinity;
  for (const c of chain) {
    const x = new X509Certificate(c.raw);
    earliest = Math.min(earliest, Date.parse(x.validTo) / 1000);
    latestStart = Math.max(latestStart, Date.parse(x.validFrom) / 1000);
  }
  samples.add('probe_ssl_earliest_cert_expiry', earliest);
  if (socket.authorized) {
    // One verified chain in Node, so the "last chain" is the chain: its earliest expiry.
    samples.add('probe_ssl_last_chain_expiry_timestamp_seconds', earliest);
    const leaf = chain[0] as DetailedPeerCertificate;
    if (withChainInfo) {
      const x = new X509Certificate(leaf.raw);
      samples.add('probe_ssl_last_chain_info', 1, {
        fingerprint_sha256: createHash('sha256').update(leaf.raw).digest('hex'),
        subject: goName(x.subject),
        issuer: goName(x.issuer),
        subjectalternative: (x.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)).join(','),
        serialnumber: leaf.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
      });
    }
  }
  return { earliestExpiry: earliest, latestNotBefore: latestStart };
}

/** `certificate expires in 6 days` when under the threshold; undefined otherwise. */
export function expiryWarning(facts: ChainFacts | undefined, warningDays: number, nowSeconds = Date.now() / 1000): string | undefined {
  if (!facts || warningDays <= 0) return undefined;
  const left = facts.earliestExpiry - nowSeconds;
  if (left < 0 || left >= warningDays * 86400) return undefined;
  const days = Math.floor(left / 86400);
  const hours = Math.max(1, Math.floor(left / 3600));
  return days === 0 ? `certificate expires in ${hours} hour${hours === 1 ? '' : 's'}` : `certificate expires in ${days} day${days === 1 ? '' : 's'}`;
}

/** `certificate expired 3 days ago` / `certificate is not yet valid`, or undefined when in date. */
export function validityReason(facts: ChainFacts, nowSeconds = Date.now() / 1000): string | undefined {
  if (facts.earliestExpiry <= nowSeconds) {
    const days = Math.floor((nowSeconds - facts.earliestExpiry) / 86400);
    return days === 0 ? 'certificate expired today' : `certificate expired ${days} day${days === 1 ? '' : 's'} ago`;
  }
  if (facts.latestNotBefore > nowSeconds) return 'certificate is not yet valid';
  return undefined;
}
