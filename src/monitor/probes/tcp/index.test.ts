import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createSecureContext, createServer as createTlsServer, TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { validateAgainst } from '../../../config/validate.js';
import type { ProbeOutcome } from '../../probe.js';
import { CA_FILE, refusedPort, TESTDATA } from '../shared/test-servers.js';
import definition, { type TcpProbeConfig } from './index.js';

const ctx = { name: 't', logger: pino({ level: 'silent' }) };
const secureContext = createSecureContext({ cert: readFileSync(`${TESTDATA}valid.pem`), key: readFileSync(`${TESTDATA}valid.key`) });

async function probe(cfg: TcpProbeConfig, timeoutMs = 2000): Promise<ProbeOutcome> {
  assert.deepEqual(validateAgainst(definition.schema, cfg), []);
  return definition.build(cfg, ctx).run(AbortSignal.timeout(timeoutMs), timeoutMs);
}

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

/** A line protocol: greets `220 ready <n>`, answers `HELO x` with `250 hello x`, `STARTTLS` with `220 go` then TLS. */
function dialogue(sock: import('node:net').Socket): void {
  sock.on('error', () => {});
  sock.write('220 ready 42\r\n');
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line.startsWith('HELO ')) sock.write(`250 hello ${line.slice(5)}\r\n`);
      else if (line === 'STARTTLS') {
        sock.write('220 go\r\n');
        sock.off('data', onData);
        const t = new TLSSocket(sock, { isServer: true, secureContext });
        t.on('error', () => {});
        t.on('secure', () => t.write('250 secure hello\r\n'));
      } else if (line === 'QUIT') sock.end('221 bye\r\n');
    }
  };
  sock.on('data', onData);
}

describe('tcp probe', () => {
  const servers: Server[] = [];
  let plain = 0;
  let tls = 0;
  let silent = 0;
  before(async () => {
    const a = createServer(dialogue);
    const b = createTlsServer({ cert: readFileSync(`${TESTDATA}valid.pem`), key: readFileSync(`${TESTDATA}valid.key`) }, (s) => { s.on('error', () => {}); s.end('hello over tls\n'); });
    const c = createServer((s) => { s.on('error', () => {}); });
    servers.push(a, b, c);
    [plain, tls, silent] = await Promise.all([listen(a), listen(b), listen(c)]);
  });
  after(() => { for (const s of servers) s.close(); });

  it('example is valid', () => {
    assert.deepEqual(validateAgainst(definition.schema, structuredClone(definition.example)), []);
    assert.ok(validateAgainst(definition.schema, { target: 'nohost' }).length > 0);
  });

  it('connects', async () => {
    const o = await probe({ target: `127.0.0.1:${plain}` });
    assert.equal(o.success, true, o.reason);
    assert.equal(o.samples.find((x) => x.name === 'probe_ip_protocol')?.value, 4);
    assert.equal(o.samples.find((x) => x.name === 'probe_failed_due_to_regex')?.value, 0);
  });

  it('refused', async () => {
    const port = await refusedPort();
    assert.equal((await probe({ target: `127.0.0.1:${port}` })).reason, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('runs a send/expect dialogue with group substitution', async () => {
    const o = await probe({ target: `localhost:${plain}`, query_response: [
      { expect: '^220 ready (\\d+)' }, { send: 'HELO n${1}' }, { expect: '^250 hello n42$' }, { send: 'QUIT' }, { expect: '^221' },
    ] });
    assert.equal(o.success, true, o.reason);
  });

  it('fails when the expected line never comes', async () => {
    const o = await probe({ target: `127.0.0.1:${plain}`, query_response: [{ send: 'QUIT' }, { expect: '^999' }] });
    assert.equal(o.reason, 'expected "^999" but the connection ended');
    assert.equal(o.samples.find((x) => x.name === 'probe_failed_due_to_regex')?.value, 1);
  });

  it('times out waiting on a silent server', async () => {
    const o = await probe({ target: `127.0.0.1:${silent}`, query_response: [{ expect: 'x' }] }, 300);
    assert.equal(o.reason, 'timeout after 300ms');
  });

  it('does TLS and STARTTLS with certificate samples', async () => {
    const o = await probe({ target: `127.0.0.1:${tls}`, tls: true, tls_config: { ca_file: CA_FILE }, query_response: [{ expect: 'over tls' }] });
    assert.equal(o.success, true, o.reason);
    assert.equal(o.samples.find((x) => x.name === 'probe_ssl_earliest_cert_expiry')?.value, Date.parse('2125-12-08T00:00:00Z') / 1000);
    const bad = await probe({ target: `127.0.0.1:${tls}`, tls: true });
    assert.match(bad.reason ?? '', /certificate/);
    const st = await probe({ target: `127.0.0.1:${plain}`, tls_config: { ca_file: CA_FILE }, query_response: [
      { expect: '^220' }, { send: 'STARTTLS' }, { expect: '^220 go' }, { starttls: true }, { expect: '^250 secure' },
    ] });
    assert.equal(st.success, true, st.reason);
    assert.ok(st.samples.some((x) => x.name === 'probe_tls_version_info'));
  });
});
