/**
 * The Prober contract: run never rejects and frees every socket and timer it opened, on
 * success, refusal and timeout alike. Counted with process.getActiveResourcesInfo().
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { ProbeDefinition } from '../../probe.js';
import dns from '../dns/index.js';
import http from '../http/index.js';
import tcp from '../tcp/index.js';
import tls from '../tls/index.js';
import { refusedPort, startHttp, startHttps, CA_FILE, type Listening } from './test-servers.js';
import type { Server } from 'node:http';

const ctx = { name: 'leak', logger: pino({ level: 'silent' }) };

function handles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'UDPWrap' || r === 'Timeout' || r === 'TLSWrap').length;
}

describe('probers free what they open', () => {
  let web: Listening<Server>;
  let secure: Listening<Server>;
  let refused = 0;
  // Reads and ignores everything, so it sees the client's close and frees its side too.
  const blackhole = createServer((s) => { s.on('error', () => {}); s.resume(); });
  let holePort = 0;
  before(async () => {
    [web, secure, refused] = await Promise.all([startHttp(), startHttps('valid'), refusedPort()]);
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
    holePort = (blackhole.address() as AddressInfo).port;
  });
  after(async () => { await Promise.all([web.close(), secure.close()]); blackhole.close(); });

  const cases: Array<[string, ProbeDefinition, () => Record<string, unknown>]> = [
    ['http ok', http, () => ({ url: `http://127.0.0.1:${web.port}/ok` })],
    ['http slow', http, () => ({ url: `http://127.0.0.1:${web.port}/slow` })],
    ['https ok', http, () => ({ url: `https://127.0.0.1:${secure.port}/ok`, tls: { ca_file: CA_FILE } })],
    ['http refused', http, () => ({ url: `http://127.0.0.1:${refused}/` })],
    ['tcp silent', tcp, () => ({ target: `127.0.0.1:${holePort}`, query_response: [{ expect: 'x' }] })],
    ['tls silent', tls, () => ({ target: `127.0.0.1:${holePort}` })],
    ['tls ok', tls, () => ({ target: `127.0.0.1:${secure.port}`, ca_file: CA_FILE })],
    ['dns udp silent', dns, () => ({ query_name: 'x.test', resolver: `127.0.0.1:${holePort}` })],
    ['dns tcp silent', dns, () => ({ query_name: 'x.test', resolver: `127.0.0.1:${holePort}`, transport: 'tcp' })],
  ];

  it('leaves no socket or timer behind and reports consistent outcomes', async () => {
    const baseline = handles();
    for (const [name, def, cfg] of cases) {
      const p = def.build(cfg() as never, ctx);
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 200);
      const o = await p.run(ac.signal, 200);
      clearTimeout(t);
      assert.equal(typeof o.success, 'boolean', name);
      assert.equal(o.reason === undefined, o.success, `${name}: a reason exactly when failed (${o.reason})`);
      const keys = o.samples.map((x) => `${x.name}${JSON.stringify(x.labels ?? {})}`);
      assert.equal(new Set(keys).size, keys.length, `${name}: a sample twice in ${keys.join(' ')}`);
      // Closed sockets leave the active list on the next turns of the loop.
      for (let i = 0; i < 20 && handles() > baseline; i++) await new Promise((r) => setImmediate(r));
      assert.equal(handles(), baseline, `${name}: ${process.getActiveResourcesInfo().join(',')}`);
    }
  });
});
