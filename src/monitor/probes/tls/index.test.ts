import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { validateAgainst } from '../../../config/validate.js';
import type { ProbeOutcome } from '../../probe.js';
import { expiryWarning, validityReason } from '../shared/tls.js';
import { CA_FILE, refusedPort, startHttp, startHttps, type Listening } from '../shared/test-servers.js';
import definition, { type TlsProbeConfig } from './index.js';

const ctx = { name: 't', logger: pino({ level: 'silent' }) };
async function probe(cfg: TlsProbeConfig, timeoutMs = 2000): Promise<ProbeOutcome> {
  assert.deepEqual(validateAgainst(definition.schema, cfg), []);
  return definition.build(cfg, ctx).run(AbortSignal.timeout(timeoutMs), timeoutMs);
}
const val = (o: ProbeOutcome, n: string): number | undefined => o.samples.find((x) => x.name === n)?.value;

describe('tls probe', () => {
  let valid: Listening<Server>;
  let expired: Listening<Server>;
  let future: Listening<Server>;
  let plain: Listening<Server>;
  before(async () => {
    [valid, expired, future, plain] = await Promise.all([startHttps('valid'), startHttps('expired'), startHttps('future'), startHttp()]);
  });
  after(async () => { await Promise.all([valid.close(), expired.close(), future.close(), plain.close()]); });

  it('example is valid', () => {
    assert.deepEqual(validateAgainst(definition.schema, structuredClone(definition.example)), []);
    assert.ok(validateAgainst(definition.schema, { target: 'x:1', tls: {} }).length > 0);
  });

  it('accepts a trusted chain and reports its facts', async () => {
    const o = await probe({ target: `localhost:${valid.port}`, ca_file: CA_FILE });
    assert.equal(o.success, true, o.reason);
    const expiry = Date.parse('2125-12-08T00:00:00Z') / 1000;
    assert.equal(val(o, 'probe_ssl_earliest_cert_expiry'), expiry);
    assert.equal(val(o, 'probe_ssl_last_chain_expiry_timestamp_seconds'), expiry);
    const info = o.samples.find((x) => x.name === 'probe_ssl_last_chain_info');
    assert.equal(info?.value, 1);
    assert.equal(info?.labels?.subject, 'CN=localhost,O=Vigil Test');
    assert.equal(info?.labels?.issuer, 'CN=Vigil Test CA,O=Vigil Test');
    assert.equal(info?.value, 1);
    assert.equal(info?.labels?.subjectalternative, 'localhost');
    assert.match(info?.labels?.fingerprint_sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(info?.labels?.serialnumber ?? '', /^[0-9a-f]+$/);
    assert.equal(o.samples.find((x) => x.name === 'probe_tls_version_info')?.labels?.version, 'TLS 1.3');
  });

  it('names chain problems', async () => {
    assert.equal((await probe({ target: `127.0.0.1:${valid.port}` })).reason, 'certificate issuer is unknown (unable to verify the first certificate)');
    assert.equal((await probe({ target: `127.0.0.1:${valid.port}`, ca_file: CA_FILE, server_name: 'other.example' })).reason, 'certificate does not match the host name');
    assert.equal((await probe({ target: `127.0.0.1:${valid.port}`, insecure_skip_verify: true })).success, true);
  });

  it('fails on expired and not yet valid certificates, even when not verifying', async () => {
    const e = await probe({ target: `127.0.0.1:${expired.port}`, insecure_skip_verify: true });
    assert.match(e.reason ?? '', /^certificate expired \d+ days ago$/);
    assert.equal(val(e, 'probe_ssl_earliest_cert_expiry'), Date.parse('2020-01-31T00:00:00Z') / 1000);
    assert.equal(val(e, 'probe_ssl_last_chain_expiry_timestamp_seconds'), undefined);
    assert.equal((await probe({ target: `127.0.0.1:${future.port}`, ca_file: CA_FILE })).reason, 'certificate is not yet valid');
  });

  it('warns before expiry', async () => {
    const o = await probe({ target: `127.0.0.1:${valid.port}`, ca_file: CA_FILE, cert_expiry_warning_days: 40000 });
    assert.equal(o.success, true);
    assert.match(o.warning ?? '', /^certificate expires in \d+ days$/);
    const now = 1_000_000;
    assert.equal(expiryWarning({ earliestExpiry: now + 6.5 * 86400, latestNotBefore: 0 }, 14, now), 'certificate expires in 6 days');
    assert.equal(expiryWarning({ earliestExpiry: now + 20 * 86400, latestNotBefore: 0 }, 14, now), undefined);
    assert.equal(validityReason({ earliestExpiry: now - 3.2 * 86400, latestNotBefore: 0 }, now), 'certificate expired 3 days ago');
  });

  it('fails on plain TCP, refused ports and timeouts', async () => {
    assert.ok((await probe({ target: `127.0.0.1:${plain.port}` })).success === false);
    const port = await refusedPort();
    assert.equal((await probe({ target: `127.0.0.1:${port}` })).reason, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
