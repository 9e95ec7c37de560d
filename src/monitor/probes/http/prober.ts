/** The http probe's run: redirects, phase timings, assertions in blackbox_exporter's order. */
import type { TLSSocket } from 'node:tls';
import { goRegExp } from '../../../core/regex.js';
import { parseDuration } from '../../../core/time.js';
import type { ProbeContext, ProbeOutcome, Prober } from '../../probe.js';
import { failureReason, formatSeconds, raceAbort, Samples, since } from '../shared/outcome.js';
import { resolveHost } from '../shared/resolve.js';
import { addTlsSamples, checkTlsPair, expiryWarning, TlsFiles, type ChainFacts } from '../shared/tls.js';
import { exchange, type ExchangeResult } from './exchange.js';
import type { HttpProbeConfig } from './index.js';
import { evalJsonPath, jsonText, parseJsonPath, type PathStep } from './json-path.js';

const MAX_REDIRECTS = 10;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** Built once per monitor; `run` may be called concurrently (each run has its own state). */
export class HttpProber implements Prober {
  private readonly url: URL;
  private readonly tlsFiles: TlsFiles;
  private readonly matchRes: RegExp[];
  private readonly notMatchRes: RegExp[];
  private readonly jsonSteps: PathStep[] | undefined;
  private readonly maxLatencySeconds: number | undefined;
  private readonly headers: Record<string, string>;

  /** Throws (a config error) on options that cannot work together or a URL that does not parse. */
  constructor(private readonly cfg: HttpProbeConfig, _ctx: ProbeContext) {
    if (!URL.canParse(cfg.url)) throw new Error(`url: ${JSON.stringify(cfg.url)} is not a valid URL`);
    if (cfg.json_equals !== undefined && cfg.json_path === undefined) throw new Error('json_equals needs json_path');
    if (cfg.fail_if_ssl && cfg.fail_if_not_ssl) throw new Error('fail_if_ssl and fail_if_not_ssl cannot both be true');
    checkTlsPair(cfg.tls, 'tls.');
    this.url = new URL(cfg.url);
    this.tlsFiles = new TlsFiles(cfg.tls);
    this.matchRes = (cfg.fail_if_body_matches_regexp ?? []).map((r) => goRegExp(r));
    this.notMatchRes = (cfg.fail_if_body_not_matches_regexp ?? []).map((r) => goRegExp(r));
    this.jsonSteps = cfg.json_path === undefined ? undefined : parseJsonPath(cfg.json_path);
    const lat = cfg.max_latency === undefined ? undefined : parseDuration(cfg.max_latency);
    this.maxLatencySeconds = lat === undefined ? undefined : lat / 1e6;
    const h: Record<string, string> = { 'user-agent': 'Vigil-Probe', ...cfg.headers };
    if (cfg.basic_auth) h.authorization = `Basic ${Buffer.from(`${cfg.basic_auth.username}:${cfg.basic_auth.password}`).toString('base64')}`;
    if (cfg.bearer_token) h.authorization = `Bearer ${cfg.bearer_token}`;
    this.headers = h;
  }

  async run(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
    const started = performance.now();
    const s = new Samples();
    const phases = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
    let reason: string | undefined;
    let warning: string | undefined;
    // Written by the exchange's TLS callback: the certificate facts of the last response.
    const last: { samples?: Samples; facts?: ChainFacts | undefined } = {};
    let lookupSeconds = 0;
    let redirects = 0;
    let family: number | undefined;
    try {
      let url = this.url;
      let method = this.cfg.method ?? 'GET';
      let body = this.cfg.body === undefined ? undefined : Buffer.from(this.cfg.body);
      let headers = this.headers;
      let res: ExchangeResult;
      for (;;) {
        const addr = await raceAbort(resolveHost(url.hostname, this.cfg.ip_protocol ?? 'ip4', this.cfg.ip_protocol_fallback ?? true), signal);
        lookupSeconds += addr.lookupSeconds;
        phases.resolve += addr.lookupSeconds;
        family = addr.family;
        const tlsOpts = url.protocol === 'https:' ? await this.tlsFiles.options() : {};
        delete last.samples;
        delete last.facts;
        res = await exchange({
          url, address: addr.address, method, headers, tls: tlsOpts, signal,
          ...(body ? { body } : {}),
          onTls: (sock: TLSSocket) => { last.samples = new Samples(); last.facts = addTlsSamples(sock, last.samples); },
        });
        phases.connect += res.connectSeconds;
        phases.tls += res.tlsSeconds;
        phases.processing += res.processingSeconds;
        phases.transfer += res.transferSeconds;
        const location = res.headers.location;
        if (!(this.cfg.follow_redirects ?? true) || !REDIRECT_CODES.has(res.status) || !location) break;
        if (++redirects > MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirect to unsupported URL ${next.href}`);
        // As browsers and Go do: 303 (and 301/302 after POST) turn into a GET without body.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        // Credentials never follow a redirect to another host.
        if (next.host !== this.url.host) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        url = next;
      }
      const contentLength = Number(res.headers['content-length']);
      s.add('probe_http_status_code', res.status);
      s.add('probe_http_content_length', Number.isFinite(contentLength) && res.headers['content-length'] !== undefined ? contentLength : -1);
      s.add('probe_http_uncompressed_body_length', res.uncompressedBytes);
      s.add('probe_http_version', Number(res.httpVersion) || 0);
      s.add('probe_http_ssl', res.tls ? 1 : 0);
      const lm = res.headers['last-modified'];
      if (lm && Number.isFinite(Date.parse(lm))) s.add('probe_http_last_modified_timestamp_seconds', Date.parse(lm) / 1000);
      reason = this.judge(res, s);
      const total = since(started);
      if (!reason && this.maxLatencySeconds !== undefined && total > this.maxLatencySeconds) {
        reason = `latency ${formatSeconds(total)} over ${formatSeconds(this.maxLatencySeconds)}`;
      }
      if (res.tls) warning = expiryWarning(last.facts, this.cfg.cert_expiry_warning_days ?? 14);
    } catch (err) {
      reason = failureReason(err, signal, timeoutMs);
    }
    if (family !== undefined) s.add('probe_ip_protocol', family);
    s.add('probe_http_redirects', redirects);
    s.add('probe_dns_lookup_time_seconds', lookupSeconds);
    for (const [phase, v] of Object.entries(phases)) s.add('probe_http_duration_seconds', v, { phase });
    if (last.samples) s.list.push(...last.samples.list);
    const out: ProbeOutcome = { success: reason === undefined, durationSeconds: since(started), samples: s.list };
    if (reason !== undefined) out.reason = reason;
    if (warning !== undefined) out.warning = warning;
    return out;
  }

  /** Status, TLS, body regexes, keywords, JSON: the first failed check's reason. */
  private judge(res: ExchangeResult, s: Samples): string | undefined {
    const valid = this.cfg.valid_status_codes ?? [];
    const statusOk = valid.length === 0 ? res.status >= 200 && res.status < 300 : valid.includes(res.status);
    let regexFailed = false;
    const verdict = ((): string | undefined => {
      if (!statusOk) return `status ${res.status}`;
      if (this.cfg.fail_if_ssl && res.tls) return 'response came over TLS (fail_if_ssl)';
      if (this.cfg.fail_if_not_ssl && !res.tls) return 'response did not come over TLS (fail_if_not_ssl)';
      const needsText = this.matchRes.length + this.notMatchRes.length > 0 || this.cfg.keywords || this.cfg.forbidden_keywords || this.jsonSteps;
      if (!needsText) return undefined;
      const text = res.body.toString('utf8');
      for (const [i, re] of this.matchRes.entries()) {
        if (re.test(text)) { regexFailed = true; return `body matches ${JSON.stringify(this.cfg.fail_if_body_matches_regexp?.[i])}`; }
      }
      for (const [i, re] of this.notMatchRes.entries()) {
        if (!re.test(text)) { regexFailed = true; return `body does not match ${JSON.stringify(this.cfg.fail_if_body_not_matches_regexp?.[i])}`; }
      }
      for (const k of this.cfg.keywords ?? []) if (!text.includes(k)) return `keyword ${JSON.stringify(k)} missing`;
      for (const k of this.cfg.forbidden_keywords ?? []) if (text.includes(k)) return `keyword ${JSON.stringify(k)} present`;
      if (this.jsonSteps) return this.judgeJson(text);
      return undefined;
    })();
    s.add('probe_failed_due_to_regex', regexFailed ? 1 : 0);
    return verdict;
  }

  private judgeJson(text: string): string | undefined {
    const path = this.cfg.json_path as string;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return `body is not JSON: ${(err as Error).message}`;
    }
    const got = evalJsonPath(doc, this.jsonSteps ?? []);
    if (!got.found) return `${path} missing`;
    const want = this.cfg.json_equals;
    if (want !== undefined && jsonText(got.value) !== want) return `${path} is ${JSON.stringify(jsonText(got.value))}, expected ${JSON.stringify(want)}`;
    return undefined;
  }
}
