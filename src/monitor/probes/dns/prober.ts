/** The dns probe's run. */
import { randomInt } from 'node:crypto';
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { goRegExp } from '../../../core/regex.js';
import type { ProbeContext, ProbeOutcome, Prober } from '../../probe.js';
import { failureReason, raceAbort, Samples, since } from '../shared/outcome.js';
import { resolveHost } from '../shared/resolve.js';
import { queryTcp, queryUdp } from './client.js';
import type { DnsProbeConfig, RrValidation } from './index.js';
import { decodeMessage, encodeQuery, rcodeName, TYPES, type DnsRecord } from './wire.js';

/** `ip`, `ip:port`, `[v6]:port`, `host:port`, bare v6: host and port (53 by default). */
export function parseResolver(text: string): { host: string; port: number } {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1] as string, port: v6[2] ? Number(v6[2]) : 53 };
  if (isIP(text)) return { host: text, port: 53 };
  const hp = /^([^:]+):(\d+)$/.exec(text);
  if (hp) return { host: hp[1] as string, port: Number(hp[2]) };
  return { host: text, port: 53 };
}

interface CompiledRules { matches: RegExp[]; allMatch: RegExp[]; notMatches: RegExp[]; noneMatches: RegExp[]; src: RrValidation }

function compile(v: RrValidation | undefined): CompiledRules | undefined {
  if (!v) return undefined;
  const c = (a: string[] | undefined): RegExp[] => (a ?? []).map((r) => goRegExp(r));
  return { matches: c(v.fail_if_matches_regexp), allMatch: c(v.fail_if_all_match_regexp), notMatches: c(v.fail_if_not_matches_regexp), noneMatches: c(v.fail_if_none_matches_regexp), src: v };
}

/** blackbox_exporter's validRRs: the first rule broken, as a reason. */
function checkRecords(section: string, rrs: DnsRecord[], rules: CompiledRules | undefined): string | undefined {
  if (!rules) return undefined;
  const q = JSON.stringify;
  for (const [i, re] of rules.matches.entries()) {
    const hit = rrs.find((r) => re.test(r.text));
    if (hit) return `${section} record ${q(hit.text)} matches ${q(rules.src.fail_if_matches_regexp?.[i])}`;
  }
  for (const [i, re] of rules.allMatch.entries()) {
    if (rrs.length > 0 && rrs.every((r) => re.test(r.text))) return `every ${section} record matches ${q(rules.src.fail_if_all_match_regexp?.[i])}`;
  }
  for (const [i, re] of rules.notMatches.entries()) {
    const miss = rrs.find((r) => !re.test(r.text));
    if (miss) return `${section} record ${q(miss.text)} does not match ${q(rules.src.fail_if_not_matches_regexp?.[i])}`;
  }
  for (const [i, re] of rules.noneMatches.entries()) {
    if (!rrs.some((r) => re.test(r.text))) return `no ${section} record matches ${q(rules.src.fail_if_none_matches_regexp?.[i])}`;
  }
  return undefined;
}

/** Names compare without case and trailing dot; `"quoted"` TXT data as written. */
function normalize(s: string): string {
  return s.trim().replace(/\.$/, '').replace(/\.(\s)/g, '$1').toLowerCase();
}

/** Built once per dns monitor; each run sends one query on its own socket. Build throws on a query name DNS cannot carry or a resolver port out of range. */
export class DnsProber implements Prober {
  private readonly type: number;
  private readonly rules: Array<[string, CompiledRules | undefined]>;

  constructor(private readonly cfg: DnsProbeConfig, _ctx: ProbeContext) {
    this.type = TYPES[cfg.query_type ?? 'A'] ?? 1;
    // A name DNS cannot carry (label over 63 bytes) is a config error, found at build.
    try { encodeQuery(0, cfg.query_name, this.type); } catch (err) { throw new Error(`query_name: ${(err as Error).message}`); }
    if (cfg.resolver !== undefined) {
      const { port } = parseResolver(cfg.resolver);
      if (!(port > 0 && port < 65536)) throw new Error(`resolver: port ${port} out of range`);
    }
    this.rules = [
      ['answer', compile(cfg.validate_answer_rrs)],
      ['authority', compile(cfg.validate_authority_rrs)],
      ['additional', compile(cfg.validate_additional_rrs)],
    ];
  }

  async run(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
    const started = performance.now();
    const s = new Samples();
    const phases = { resolve: 0, connect: 0, request: 0 };
    let reason: string | undefined;
    let succeeded = 0;
    try {
      const resolverText = this.cfg.resolver ?? getServers()[0];
      if (!resolverText) throw new Error('no resolver configured and none in /etc/resolv.conf');
      const { host, port } = parseResolver(resolverText);
      const addr = await raceAbort(resolveHost(host, this.cfg.ip_protocol ?? 'ip4', this.cfg.ip_protocol_fallback ?? true), signal);
      phases.resolve = addr.lookupSeconds;
      s.add('probe_dns_lookup_time_seconds', addr.lookupSeconds);
      s.add('probe_ip_protocol', addr.family);
      const query = encodeQuery(randomInt(0, 65536), this.cfg.query_name, this.type, this.cfg.recursion_desired ?? true);
      const ex = (this.cfg.transport ?? 'udp') === 'tcp'
        ? await queryTcp(addr.address, port, query, signal)
        : await queryUdp(addr.address, addr.family, port, query, signal);
      phases.connect = ex.connectSeconds;
      phases.request = ex.requestSeconds;
      let msg;
      try {
        msg = decodeMessage(ex.response);
      } catch (err) {
        throw new Error(`bad DNS response from ${resolverText}: ${(err as Error).message}`);
      }
      succeeded = 1;
      s.add('probe_dns_answer_rrs', msg.answer.length);
      s.add('probe_dns_authority_rrs', msg.authority.length);
      s.add('probe_dns_additional_rrs', msg.additional.length);
      const soa = this.type === 6 ? msg.answer.find((r) => r.type === 6) : undefined;
      if (soa) s.add('probe_dns_serial', Number(soa.data.split(' ')[2]));
      reason = this.judge(msg.rcode, msg.answer, msg.authority, msg.additional);
    } catch (err) {
      reason = failureReason(err, signal, timeoutMs);
    }
    for (const [phase, v] of Object.entries(phases)) s.add('probe_dns_duration_seconds', v, { phase });
    s.add('probe_dns_query_succeeded', succeeded);
    const out: ProbeOutcome = { success: reason === undefined, durationSeconds: since(started), samples: s.list };
    if (reason !== undefined) out.reason = reason;
    return out;
  }

  private judge(rcode: number, answer: DnsRecord[], authority: DnsRecord[], additional: DnsRecord[]): string | undefined {
    const valid = this.cfg.valid_rcodes && this.cfg.valid_rcodes.length > 0 ? this.cfg.valid_rcodes : ['NOERROR'];
    if (!valid.includes(rcodeName(rcode) as (typeof valid)[number])) return `rcode ${rcodeName(rcode)}`;
    const sections: Record<string, DnsRecord[]> = { answer, authority, additional };
    for (const [name, rules] of this.rules) {
      const r = checkRecords(name, sections[name] ?? [], rules);
      if (r) return r;
    }
    const have = new Set(answer.map((r) => normalize(r.data)));
    for (const want of this.cfg.expected_answers ?? []) {
      if (!have.has(normalize(want))) return `answer ${JSON.stringify(want)} missing (got ${answer.length === 0 ? 'no answer' : answer.map((r) => r.data).join(', ')})`;
    }
    return undefined;
  }
}
