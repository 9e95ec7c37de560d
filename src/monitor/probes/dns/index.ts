/**
 * The `dns` probe: one query to a chosen resolver over UDP or TCP, judged by rcode and the
 * records returned, reporting blackbox_exporter's dns prober samples (prober/dns.go).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Regex } from '../../../config/types.js';
import { defineProbe } from '../../probe.js';
import { IpProtocolOptions } from '../shared/resolve.js';
import { DnsProber } from './prober.js';
import { RCODES, TYPES } from './wire.js';

const Regexes = (description: string) => Type.Optional(Type.Array(Regex(), { description }));

const RrValidation = Type.Object(
  {
    fail_if_matches_regexp: Regexes('Fail when any record matches any of these.'),
    fail_if_all_match_regexp: Regexes('Fail when every record matches one of these (per regex).'),
    fail_if_not_matches_regexp: Regexes('Fail when any record does not match one of these (per regex).'),
    fail_if_none_matches_regexp: Regexes('Fail when no record matches one of these (per regex).'),
  },
  { additionalProperties: false, description: 'Regexes over records in dig form: `example.com.\\t300\\tIN\\tA\\t192.0.2.1`.' },
);
export type RrValidation = Static<typeof RrValidation>;

/** Options of a `dns` monitor. */
export const dnsProbeSchema = Type.Object(
  {
    query_name: Type.String({ minLength: 1, description: 'The name queried (`example.com`).' }),
    query_type: Type.Optional(Type.Union(Object.keys(TYPES).map((t) => Type.Literal(t)), { default: 'A', description: 'Record type: A, AAAA, MX, TXT, CNAME, NS, SRV, SOA, PTR (or ANY).' })),
    resolver: Type.Optional(Type.String({ minLength: 1, description: 'Server asked: `ip`, `ip:port`, `[ipv6]:port` or `host:port`; defaults to the first system resolver (/etc/resolv.conf).' })),
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp', description: "'udp' or 'tcp'." })),
    recursion_desired: Type.Optional(Type.Boolean({ default: true, description: 'Set the RD flag.' })),
    valid_rcodes: Type.Optional(Type.Array(Type.Union(RCODES.map((r) => Type.Literal(r))), { description: 'Response codes that count as up; default NOERROR.' })),
    expected_answers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Values that must all be among the answer records\' data (`192.0.2.1`, `10 mx.example.com.`, `"v=spf1 -all"`); names compare case-insensitively, a trailing dot optional.' })),
    validate_answer_rrs: Type.Optional(RrValidation),
    validate_authority_rrs: Type.Optional(RrValidation),
    validate_additional_rrs: Type.Optional(RrValidation),
    ...IpProtocolOptions,
  },
  { additionalProperties: false },
);
export type DnsProbeConfig = Static<typeof dnsProbeSchema>;

export default defineProbe({
  type: 'dns',
  description: 'Queries a DNS server and checks the response code and records (blackbox_exporter dns prober).',
  schema: dnsProbeSchema,
  example: { query_name: 'example.com', query_type: 'A', resolver: '1.1.1.1', expected_answers: ['93.184.215.14'] },
  build: (config, ctx) => new DnsProber(config, ctx),
});
