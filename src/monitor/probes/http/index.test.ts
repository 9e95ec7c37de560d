import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { validateAgainst } from '../../../config/validate.js';
import type { ProbeOutcome } from '../../probe.js';
import { CA_FILE, refusedPort, startHttp, startHttps, type Listening } from '../shared/test-servers.js';
import definition, { type HttpProbeConfig } from './index.js';
import { evalJsonPath, parseJsonPath } from './json-path.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const ctx = { name: 't', logger: pino({ level: 'silent' }) };

async function probe(cfg: HttpProbeConfig, timeoutMs = 2000): Promise<ProbeOutcome> {
  const issues = validateAgainst(definition.schema, cfg);
  assert.deepEqual(issues, []);
  const p = definition.build(cfg, ctx);
  const out = await p.run(AbortSignal.timeout(timeoutMs), timeoutMs);
  await p.close?.();
  return out;
}

function sample(o: ProbeOutcome, name: string, labels?: Record<string, string>): number | undefined {
  return o.samples.find((s) => s.name === name && (!labels || JSON.stringify(s.labels) === JSON.stringify(labels)))?.value;
}

describe('http probe', () => {
  let http: Listening<Server>;
  let https: Listening<Server>;
  let expired: Listening<Server>;
  let base: string;
  before(async () => {
    http = await startHttp();
    https = await startHttps('valid');
    expired = await startHttps('expired');
    base = `http://127.0.0.1:${http.port}`;
  });
  after(async () => { await Promise.all([http.close(), https.close(), expired.close()]); });

  it('example and schema are valid; unknown keys are rejected', () => {
    assert.deepEqual(validateAgainst(definition.schema, structuredClone(definition.example)), []);
    assert.ok(validateAgainst(definition.schema, { url: 'http://x', nope: 1 }).length > 0);
    assert.ok(validateAgainst(definition.schema, { url: 'ftp://x' }).length > 0);
  });

  it('succeeds on 200 with blackbox samples', async () => {
    const o = await probe({ url: `${base}/ok` });
    assert.equal(o.success, true, o.reason);
    assert.equal(o.reason, undefined);
    assert.equal(sample(o, 'probe_http_status_code'), 200);
    assert.equal(sample(o, 'probe_http_content_length'), 11);
    assert.equal(sample(o, 'probe_http_uncompressed_body_length'), 11);
    assert.equal(sample(o, 'probe_http_version'), 1.1);
    assert.equal(sample(o, 'probe_http_ssl'), 0);
    assert.equal(sample(o, 'probe_http_redirects'), 0);
    assert.equal(sample(o, 'probe_ip_protocol'), 4);
    assert.equal(sample(o, 'probe_failed_due_to_regex'), 0);
    for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
      const v = sample(o, 'probe_http_duration_seconds', { phase });
      assert.ok(v !== undefined && v >= 0, phase);
    }
    assert.ok(o.durationSeconds > 0);
  });

  it('fails on 404 and honours valid_status_codes', async () => {
    const o = await probe({ url: `${base}/404` });
    assert.equal(o.success, false);
    assert.equal(o.reason, 'status 404');
    assert.equal(sample(o, 'probe_http_status_code'), 404);
    assert.equal((await probe({ url: `${base}/404`, valid_status_codes: [404] })).success, true);
    assert.equal((await probe({ url: `${base}/500` })).reason, 'status 500');
  });

  it('follows redirects, or not', async () => {
    const o = await probe({ url: `${base}/redirect` });
    assert.equal(o.success, true);
    assert.equal(sample(o, 'probe_http_redirects'), 1);
    const names = o.samples.map((x) => `${x.name}${JSON.stringify(x.labels ?? {})}`);
    assert.equal(new Set(names).size, names.length, 'no sample twice');
    const n = await probe({ url: `${base}/redirect`, follow_redirects: false });
    assert.equal(n.reason, 'status 302');
    assert.equal((await probe({ url: `${base}/loop` })).reason, 'stopped after 10 redirects');
  });

  it('times out with the timeout reason and frees the socket', async () => {
    const o = await probe({ url: `${base}/slow` }, 300);
    assert.equal(o.success, false);
    assert.equal(o.reason, 'timeout after 300ms');
    assert.ok(o.durationSeconds < 1.5);
  });

  it('reports a refused connection', async () => {
    const port = await refusedPort();
    const o = await probe({ url: `http://127.0.0.1:${port}/` });
    assert.equal(o.reason, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('checks keywords and regexes', async () => {
    assert.equal((await probe({ url: `${base}/ok`, keywords: ['ok'] })).success, true);
    assert.equal((await probe({ url: `${base}/ok`, keywords: ['healthy'] })).reason, 'keyword "healthy" missing');
    assert.equal((await probe({ url: `${base}/ok`, forbidden_keywords: ['ok'] })).reason, 'keyword "ok" present');
    const m = await probe({ url: `${base}/ok`, fail_if_body_matches_regexp: ['a.l'] });
    assert.equal(m.reason, 'body matches "a.l"');
    assert.equal(sample(m, 'probe_failed_due_to_regex'), 1);
    assert.equal((await probe({ url: `${base}/ok`, fail_if_body_not_matches_regexp: ['^all'] })).success, true);
    assert.equal((await probe({ url: `${base}/ok`, fail_if_body_not_matches_regexp: ['^(ALL|all)', 'error'] })).reason, 'body does not match "error"');
  });

  it('fails on a body cut short', async () => {
    assert.equal((await probe({ url: `${base}/short` })).reason, 'response body cut short by the server after 10 bytes');
  });

  it('decodes gzip bodies before matching', async () => {
    const o = await probe({ url: `${base}/gzip`, keywords: ['compressed ok'] });
    assert.equal(o.success, true, o.reason);
    assert.equal(sample(o, 'probe_http_uncompressed_body_length'), 1400);
    assert.ok((sample(o, 'probe_http_content_length') ?? 0) < 1400);
  });

  it('asserts a JSON path', async () => {
    assert.equal((await probe({ url: `${base}/json/ok`, json_path: '$.status', json_equals: 'ok' })).success, true);
    assert.equal((await probe({ url: `${base}/json/ok`, json_path: '$.checks[0].db', json_equals: 'true' })).success, true);
    assert.equal((await probe({ url: `${base}/json/degraded`, json_path: '$.status', json_equals: 'ok' })).reason, '$.status is "degraded", expected "ok"');
    assert.equal((await probe({ url: `${base}/json/ok`, json_path: '$.missing' })).reason, '$.missing missing');
    assert.match((await probe({ url: `${base}/ok`, json_path: '$.status' })).reason ?? '', /^body is not JSON/);
  });

  it('sends method, body and credentials', async () => {
    assert.equal((await probe({ url: `${base}/echo`, method: 'POST', body: 'hi', keywords: ['POST hi'] })).success, true);
    assert.equal((await probe({ url: `${base}/auth` })).reason, 'status 401');
    assert.equal((await probe({ url: `${base}/auth`, basic_auth: { username: 'u', password: 'p' } })).success, true);
    assert.equal((await probe({ url: `${base}/auth`, bearer_token: 'tok' })).success, true);
  });

  it('fails over max_latency', async () => {
    const o = await probe({ url: `${base}/ok`, max_latency: '0s' });
    assert.match(o.reason ?? '', /^latency \d+ms over 0ms$/);
  });

  it('verifies TLS with a CA file and reports certificate samples', async () => {
    const url = `https://127.0.0.1:${https.port}/ok`;
    const unknown = await probe({ url });
    assert.equal(unknown.success, false);
    assert.match(unknown.reason ?? '', /certificate/);
    const o = await probe({ url, tls: { ca_file: CA_FILE } });
    assert.equal(o.success, true, o.reason);
    assert.equal(o.warning, undefined);
    assert.equal(sample(o, 'probe_http_ssl'), 1);
    assert.equal(sample(o, 'probe_ssl_earliest_cert_expiry'), Date.parse('2125-12-08T00:00:00Z') / 1000);
    assert.equal(sample(o, 'probe_ssl_last_chain_expiry_timestamp_seconds'), Date.parse('2125-12-08T00:00:00Z') / 1000);
    assert.ok(o.samples.some((s) => s.name === 'probe_tls_version_info' && s.labels?.version === 'TLS 1.3'));
    assert.ok((sample(o, 'probe_http_duration_seconds', { phase: 'tls' }) ?? 0) > 0);
    const w = await probe({ url, tls: { ca_file: CA_FILE }, cert_expiry_warning_days: 40000 });
    assert.match(w.warning ?? '', /^certificate expires in \d+ days$/);
    assert.equal((await probe({ url, tls: { insecure_skip_verify: true } })).success, true);
    assert.equal((await probe({ url, tls: { ca_file: '/nonexistent/ca.pem' } })).reason?.startsWith('tls.ca_file: ENOENT'), true);
  });

  it('fails on an expired certificate unless verification is off', async () => {
    const url = `https://127.0.0.1:${expired.port}/ok`;
    const o = await probe({ url, tls: { ca_file: CA_FILE } });
    assert.equal(o.reason, 'certificate has expired');
    const i = await probe({ url, tls: { insecure_skip_verify: true } });
    assert.equal(i.success, true);
    assert.equal(sample(i, 'probe_ssl_earliest_cert_expiry'), Date.parse('2020-01-31T00:00:00Z') / 1000);
  });

  it('prefers or forces the address family', async (t) => {
    const v6 = createServer((_q, r) => r.end('six'));
    const ok = await new Promise<boolean>((r) => { v6.once('error', () => r(false)); v6.listen(0, '::1', () => r(true)); });
    if (!ok) return t.skip('no IPv6 loopback');
    const port = (v6.address() as AddressInfo).port;
    try {
      const six = await probe({ url: `http://[::1]:${port}/`, ip_protocol: 'ip6' });
      assert.equal(six.success, true, six.reason);
      assert.equal(sample(six, 'probe_ip_protocol'), 6);
      const forced = await probe({ url: `http://[::1]:${port}/`, ip_protocol: 'ip4', ip_protocol_fallback: false });
      assert.equal(forced.reason, '::1 is not an ip4 address');
    } finally {
      v6.close();
    }
  });

  it('json paths parse and evaluate', () => {
    assert.deepEqual(parseJsonPath(`$.a['b c'][2]["d"]`), ['a', 'b c', 2, 'd']);
    assert.throws(() => parseJsonPath('$.a..b'), /offset 4/);
    assert.throws(() => parseJsonPath('a'), /start with \$/);
    assert.deepEqual(evalJsonPath({ a: [1, 2] }, ['a', -1]), { found: true, value: 2 });
    assert.equal(evalJsonPath({ a: 1 }, ['a', 'b']).found, false);
  });
});

describe('http probe build refusals', () => {
  it('refuses options that cannot work together', () => {
    const b = (c: HttpProbeConfig): unknown => definition.build(c, ctx);
    assert.throws(() => b({ url: 'http://x/', json_equals: 'ok' }), /json_equals needs json_path/);
    assert.throws(() => b({ url: 'http://x/', fail_if_ssl: true, fail_if_not_ssl: true }), /cannot both/);
    assert.throws(() => b({ url: 'http://x/', tls: { cert_file: '/a' } }), /tls\.cert_file and tls\.key_file go together/);
    assert.throws(() => b({ url: 'http://[bad/' }), /not a valid URL/);
    assert.throws(() => b({ url: 'http://x/', json_path: '$.a[' }), /json_path: expected/);
  });
});
