import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext } from '../../components/testing.js';
import { parseRfc3339 } from '../../core/time.js';
import def from './index.js';
import { parseAddress } from './syslog-source.js';
import { sleep, startSyslog, type Running } from './test-helpers.js';

conformance(def, import.meta.url, { config: () => ({ ...def.example, address: '127.0.0.1:0' }) });

// ../shared/samples beside the repository (CI clones the repo with shared/ beside it).
const SAMPLES = fileURLToPath(new URL('../../../../shared/samples', import.meta.url));
const TD = join(import.meta.dirname, 'testdata');

function tcpSend(port: number, data: Buffer | string, keepOpen = false): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.write(data, () => {
        if (!keepOpen) s.end();
        res(s);
      });
    });
    s.on('error', rej);
  });
}

const running: Running[] = [];
async function start(config: Parameters<typeof startSyslog>[0]): Promise<Running> {
  const r = await startSyslog(config);
  running.push(r);
  return r;
}
after(async () => {
  for (const r of running) await r.close();
});

describe('syslog source over real sockets', () => {
  it('TCP: the rsyslog RFC 5424 octet-counted capture arrives as entries with labels and fields', async () => {
    const r = await start({ mode: 'tcp', labels: { env: 'test' } });
    await tcpSend(r.port, readFileSync(`${SAMPLES}/rsyslog-omfwd-rfc5424-sample.txt`));
    const recs = await r.waitFor(6);
    const byLine = new Map(recs.map((x) => [x.line, x]));
    const sd = byLine.get('fwd test 2 over tcp rfc5424 with "quotes" and SD');
    assert.ok(sd);
    assert.deepEqual(sd.labels, { env: 'test', host: 'vm', app: 'peers-test', facility: 'local3', level: 'warn' });
    assert.equal(sd.ts, parseRfc3339('2026-11-27T10:35:48.751056Z'));
    assert.deepEqual(sd.fields, {
      severity: 'warning',
      source_ip: '127.0.0.1',
      sd_timeQuality_tzKnown: '1',
      sd_timeQuality_isSynced: '0',
      sd_zoo_123_tiger: 'hungry',
    });
    const udp = byLine.get('fwd test 3 over udp');
    assert.deepEqual(udp?.labels, { env: 'test', host: 'vm', app: 'peers-test', facility: 'auth', level: 'error' });
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_received_events_total'), 6);
    await sleep(20);
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_sent_events_total'), 6);
  });

  it('TCP: RFC 3164 newline framing; procid and msgid are fields, never labels', async () => {
    const r = await start({ mode: 'tcp' });
    await tcpSend(r.port, readFileSync(`${SAMPLES}/syslog-ng-network-legacy-sample.txt`));
    await tcpSend(r.port, '<86>1 2026-11-27T10:00:00.5+01:00 h2 sshd 4711 AUTH - Accepted publickey\n');
    const recs = await r.waitFor(4);
    const ssh = recs.find((x) => x.labels['app'] === 'sshd');
    assert.deepEqual(ssh?.labels, { host: 'h2', app: 'sshd', facility: 'authpriv', level: 'info' });
    assert.deepEqual(ssh?.fields, { severity: 'info', source_ip: '127.0.0.1', procid: '4711', msgid: 'AUTH' });
    assert.equal(ssh?.ts, parseRfc3339('2026-11-27T09:00:00.5Z'));
    assert.deepEqual(recs.filter((x) => x.labels['host'] === 'vm').map((x) => x.line).sort(), [
      'sng fwd test 1 over tcp rfc3164', 'sng fwd test 2 over tcp rfc5424 with "quotes" and SD', 'sng fwd test 3 over udp',
    ]);
  });

  it('UDP: one message per datagram, both formats on the same port', async () => {
    const r = await start({ mode: 'udp', timezone: '+02:00' });
    const c = dgram.createSocket('udp4');
    const send = (m: string) => new Promise<void>((res, rej) => c.send(m, r.port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    await send('<35>Nov 27 10:35:48 vm peers-test: fwd test 3 over udp\n');
    await send('<14>1 2026-11-27T10:35:48.123Z vm app - - [x@1 a="b"] five four two four');
    const recs = await r.waitFor(2);
    c.close();
    const legacy = recs.find((x) => x.line === 'fwd test 3 over udp');
    assert.equal(legacy?.ts, parseRfc3339('2026-11-27T08:35:48Z'), 'RFC 3164 time read in the configured zone');
    assert.equal(legacy?.labels['level'], 'error');
    const p = recs.find((x) => x.line === 'five four two four');
    assert.equal(p?.fields?.['sd_x_1_a'], 'b');
    assert.equal(p?.ts, parseRfc3339('2026-11-27T10:35:48.123Z'));
  });

  it('TLS: accepts clients with a certificate signed by the client CA, refuses others', async () => {
    const r = await start({
      mode: 'tls',
      tls: { cert_file: join(TD, 'server.pem'), key_file: join(TD, 'server.key'), client_ca_file: join(TD, 'ca.pem') },
    });
    const connect = (withCert: boolean) =>
      new Promise<tls.TLSSocket>((res, rej) => {
        const s = tls.connect({
          host: '127.0.0.1', port: r.port, ca: readFileSync(join(TD, 'ca.pem')),
          ...(withCert ? { cert: readFileSync(join(TD, 'client.pem')), key: readFileSync(join(TD, 'client.key')) } : {}),
        }, () => res(s));
        s.on('error', rej);
      });
    const s = await connect(true);
    const m = '<13>1 2026-11-27T10:00:00Z tlshost app - - - over tls';
    s.end(`${Buffer.byteLength(m)} ${m}`);
    const recs = await r.waitFor(1);
    assert.equal(recs[0]?.line, 'over tls');
    assert.equal(recs[0]?.labels['host'], 'tlshost');
    // Without a client certificate the handshake (or the first read) fails and nothing is taken.
    await assert.rejects(async () => {
      const bad = await connect(false);
      bad.write('<13>1 - - - - - - should not arrive\n');
      await new Promise((res, rej) => { bad.on('close', res); bad.on('error', rej); });
      throw new Error('closed');
    });
    await sleep(50);
    assert.equal(r.records().length, 1);
  });

  it('refuses to start when the port is taken, naming the address', async () => {
    const r = await start({ mode: 'tcp' });
    const ctx = makeTestContext('source', 'syslog');
    const second = def.build({ address: `127.0.0.1:${r.port}` }, ctx);
    await assert.rejects(second.start(), new RegExp(`cannot listen on tcp 127.0.0.1:${r.port}: .*EADDRINUSE`));
    await second.stop();
    ctx.cleanup();
  });

  it('build names bad address, missing tls and unknown time zones', () => {
    const ctx = makeTestContext('source', 'syslog', 'sl');
    assert.throws(() => def.build({ address: '127.0.0.1:70000' }, ctx), /sources\.sl\.address: "127.0.0.1:70000" is not host:port/);
    assert.throws(() => def.build({ mode: 'tls' }, ctx), /sources\.sl\.tls: required when mode is 'tls'/);
    assert.throws(() => def.build({ timezone: 'Nowhere/Land' }, ctx), /sources\.sl\.timezone: unknown time zone/);
    assert.throws(() => def.build({ max_message_size: 8 }, ctx), /sources\.sl\.max_message_size: must be at least 16 bytes/);
    assert.deepEqual(parseAddress('[::1]:514'), { host: '::1', port: 514 });
    assert.deepEqual(parseAddress('0.0.0.0:514'), { host: '0.0.0.0', port: 514 });
    assert.equal(parseAddress('::1:514'), undefined);
    assert.equal(parseAddress(':514'), undefined);
    ctx.cleanup();
  });
});
