import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { validateAgainst } from '../../../config/validate.js';
import type { ProbeOutcome } from '../../probe.js';
import { startDnsmasq, type Listening } from '../shared/test-servers.js';
import definition, { type DnsProbeConfig } from './index.js';
import { parseResolver } from './prober.js';
import { decodeMessage } from './wire.js';

const ctx = { name: 't', logger: pino({ level: 'silent' }) };
async function probe(cfg: DnsProbeConfig, timeoutMs = 2000): Promise<ProbeOutcome> {
  assert.deepEqual(validateAgainst(definition.schema, cfg), []);
  return definition.build(cfg, ctx).run(AbortSignal.timeout(timeoutMs), timeoutMs);
}
const val = (o: ProbeOutcome, n: string, phase?: string): number | undefined =>
  o.samples.find((x) => x.name === n && (phase === undefined || x.labels?.phase === phase))?.value;

/**
 * Hand-assembled answers (independent of wire.ts's encoder): for `ok.test` one A record using a
 * compression pointer plus an MX; for `nx.test` NXDOMAIN with a SOA in authority; for `bad.test`
 * a record whose length runs past the end; `silent.test` gets no answer.
 */
function answerFor(query: Buffer): Buffer | undefined {
  const id = query.subarray(0, 2);
  const qEnd = query.indexOf(0, 12) + 5;
  const question = query.subarray(12, qEnd);
  const name = query.toString('latin1', 13, query.indexOf(0, 12)).replace(/[\x00-\x1f]/g, '.');
  const hdr = (flags: number, an: number, ns: number, ar: number): Buffer => Buffer.from([...id, flags >> 8, flags & 0xff, 0, 1, 0, an, 0, ns, 0, ar]);
  if (name === 'ok.test') {
    const a = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 7]);
    const mx = Buffer.from([0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10, 4, ...Buffer.from('mail'), 0xc0, 12]);
    return Buffer.concat([hdr(0x8580, 2, 0, 0), question, a, mx]);
  }
  if (name === 'nx.test') {
    const soa = Buffer.concat([Buffer.from([0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 60, 0, 22 + 2 + 2]), Buffer.from([2, ...Buffer.from('ns'), 0xc0, 12, 1, ...Buffer.from('h'), 0xc0, 12]), Buffer.from([0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4])]);
    return Buffer.concat([hdr(0x8583, 0, 1, 0), question, soa]);
  }
  if (name === 'bad.test') return Buffer.concat([hdr(0x8580, 1, 0, 0), question, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 40, 1, 2])]);
  return undefined;
}

describe('dns probe against a hand-built responder', () => {
  let udp: UdpSocket;
  let tcp: Server;
  let port = 0;
  before(async () => {
    tcp = createServer((s) => {
      s.on('error', () => {});
      s.once('data', (d: Buffer) => {
        const a = answerFor(d.subarray(2));
        if (!a) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(a.length);
        // Split the answer across writes: the client must reassemble frames.
        s.write(Buffer.concat([len, a.subarray(0, 3)]));
        setTimeout(() => s.end(a.subarray(3)), 10);
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    port = (tcp.address() as AddressInfo).port;
    udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const a = answerFor(msg);
      if (!a) return;
      // A stale answer with another id first: it must be ignored.
      const stale = Buffer.from(a);
      stale.writeUInt16BE((a.readUInt16BE(0) + 1) & 0xffff, 0);
      udp.send(stale, rinfo.port, rinfo.address);
      udp.send(a, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  });
  after(() => { udp.close(); tcp.close(); });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`answers over ${transport} with counts and dig-style records`, async () => {
      const o = await probe({ query_name: 'ok.test', resolver: `127.0.0.1:${port}`, transport, expected_answers: ['192.0.2.7'],
        validate_answer_rrs: { fail_if_none_matches_regexp: ['MX\\t10 mail\\.ok\\.test\\.$'], fail_if_matches_regexp: ['^evil'] } });
      assert.equal(o.success, true, o.reason);
      assert.equal(val(o, 'probe_dns_answer_rrs'), 2);
      assert.equal(val(o, 'probe_dns_authority_rrs'), 0);
      assert.equal(val(o, 'probe_dns_query_succeeded'), 1);
      assert.ok((val(o, 'probe_dns_duration_seconds', 'request') ?? -1) >= 0);
    });
  }

  it('judges expected answers and regex rules', async () => {
    const base = { query_name: 'ok.test', resolver: `127.0.0.1:${port}` };
    assert.equal((await probe({ ...base, expected_answers: ['192.0.2.8'] })).reason, 'answer "192.0.2.8" missing (got 192.0.2.7, 10 mail.ok.test.)');
    assert.equal((await probe({ ...base, expected_answers: ['10 MAIL.ok.test'] })).success, true);
    assert.equal((await probe({ ...base, validate_answer_rrs: { fail_if_matches_regexp: ['192\\.0\\.2\\.7$'] } })).reason, 'answer record "ok.test.\\t3600\\tIN\\tA\\t192.0.2.7" matches "192\\\\.0\\\\.2\\\\.7$"');
    assert.equal((await probe({ ...base, validate_answer_rrs: { fail_if_all_match_regexp: ['ok\\.test'] } })).reason, 'every answer record matches "ok\\\\.test"');
    assert.match((await probe({ ...base, validate_answer_rrs: { fail_if_not_matches_regexp: ['\\tA\\t'] } })).reason ?? '', /does not match/);
  });

  it('fails on an unexpected rcode, and accepts it when listed', async () => {
    const o = await probe({ query_name: 'nx.test', resolver: `127.0.0.1:${port}` });
    assert.equal(o.reason, 'rcode NXDOMAIN');
    assert.equal(val(o, 'probe_dns_authority_rrs'), 1);
    assert.equal(val(o, 'probe_dns_query_succeeded'), 1);
    assert.equal((await probe({ query_name: 'nx.test', resolver: `127.0.0.1:${port}`, valid_rcodes: ['NXDOMAIN'], validate_authority_rrs: { fail_if_none_matches_regexp: ['SOA\\tns\\.nx\\.test\\. h\\.nx\\.test\\. 7 1 2 3 4'] } })).success, true);
  });

  it('reports malformed answers and timeouts without crashing', async () => {
    const bad = await probe({ query_name: 'bad.test', resolver: `127.0.0.1:${port}` });
    assert.equal(bad.reason, `bad DNS response from 127.0.0.1:${port}: truncated record data at byte 38`);
    assert.equal(val(bad, 'probe_dns_query_succeeded'), 0);
    assert.equal((await probe({ query_name: 'silent.test', resolver: `127.0.0.1:${port}` }, 300)).reason, 'timeout after 300ms');
    assert.equal((await probe({ query_name: 'silent.test', resolver: `127.0.0.1:${port}`, transport: 'tcp' }, 300)).reason, 'timeout after 300ms');
  });

  it('parses resolvers and rejects garbage safely', () => {
    assert.deepEqual(parseResolver('1.2.3.4'), { host: '1.2.3.4', port: 53 });
    assert.deepEqual(parseResolver('1.2.3.4:5353'), { host: '1.2.3.4', port: 5353 });
    assert.deepEqual(parseResolver('[::1]:54'), { host: '::1', port: 54 });
    assert.deepEqual(parseResolver('::1'), { host: '::1', port: 53 });
    assert.deepEqual(parseResolver('dns.local'), { host: 'dns.local', port: 53 });
    assert.throws(() => decodeMessage(Buffer.from([1, 2, 3])), /truncated header at byte 2/);
    const loop = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12]);
    assert.throws(() => decodeMessage(loop), /compression loop/);
  });
});

describe('dns probe against dnsmasq', () => {
  let dns: Listening<null> | undefined;
  const dir = mkdtempSync(`${tmpdir()}/vigil-dns-`);
  before(async () => { dns = await startDnsmasq(dir); });
  after(async () => { await dns?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('queries every common type', async (t) => {
    if (!dns) return t.skip('dnsmasq is not installed (apt-get install -y dnsmasq)');
    const resolver = `127.0.0.1:${dns.port}`;
    const a = await probe({ query_name: 'web.vigil.test', resolver, expected_answers: ['10.1.2.3', '10.1.2.4'] });
    assert.equal(a.success, true, a.reason);
    assert.equal(val(a, 'probe_dns_answer_rrs'), 2);
    assert.equal((await probe({ query_name: 'web.vigil.test', query_type: 'AAAA', resolver, transport: 'tcp', expected_answers: ['fd00::1:2'] })).success, true);
    assert.equal((await probe({ query_name: 'vigil.test', query_type: 'MX', resolver, expected_answers: ['10 mail.vigil.test.'] })).success, true);
    assert.equal((await probe({ query_name: 'txt.vigil.test', query_type: 'TXT', resolver, expected_answers: ['"v=spf1 -all"'] })).success, true);
    assert.equal((await probe({ query_name: '_http._tcp.vigil.test', query_type: 'SRV', resolver, expected_answers: ['1 5 80 web.vigil.test.'] })).success, true);
    const cname = await probe({ query_name: 'alias.vigil.test', resolver, validate_answer_rrs: { fail_if_none_matches_regexp: ['CNAME\\tweb\\.vigil\\.test\\.$'] } });
    assert.equal(cname.success, true, cname.reason);
    assert.equal((await probe({ query_name: 'nothing.vigil.test', resolver })).reason, 'rcode NXDOMAIN');
  });
});

describe('dns probe build refusals', () => {
  it('refuses names DNS cannot carry and bad resolver ports', () => {
    assert.throws(() => definition.build({ query_name: `${'a'.repeat(64)}.test` }, ctx), /query_name: label "a+" is longer than 63 bytes/);
    assert.throws(() => definition.build({ query_name: 'a.test', resolver: '1.2.3.4:99999' }, ctx), /resolver: port 99999 out of range/);
  });
});
