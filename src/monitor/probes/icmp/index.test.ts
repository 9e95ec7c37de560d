import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { silent } from '../../testdata/helpers.js';
import icmp from './index.js';
import { parsePing } from './parse.js';
import { spawnSync } from 'node:child_process';

const fixture = (n: string) => readFileSync(new URL(`./testdata/${n}`, import.meta.url), 'utf8');
type Cfg = Static<typeof icmp.schema>;
const run = (c: Partial<Cfg>, timeoutMs = 3000) => {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  return icmp.build(Value.Default(icmp.schema, structuredClone(c)) as Cfg, { name: 't', logger: silent }).run(ac.signal, timeoutMs).finally(() => clearTimeout(timer));
};
const sample = (o: { samples: Array<{ name: string; value: number }> }, name: string) => o.samples.find((s) => s.name === name)?.value;
const hasPing = spawnSync('ping', ['-V']).error === undefined;

test('parses iputils output: loss, rtt, hop limit, address', () => {
  const ok = parsePing(fixture('iputils-ok.txt'));
  assert.equal(ok?.transmitted, 3);
  assert.equal(ok?.received, 3);
  assert.equal(ok?.lossRatio, 0);
  assert.equal(ok?.hopLimit, 64);
  assert.equal(ok?.address, '127.0.0.1');
  assert.ok(ok?.rtt && ok.rtt.min > 0 && ok.rtt.min <= ok.rtt.avg && ok.rtt.avg <= ok.rtt.max);
  assert.deepEqual(parsePing(fixture('iputils-loss.txt')), { transmitted: 4, received: 1, lossRatio: 0.75, rtt: { min: 0.0124, avg: 0.0124, max: 0.0124 }, hopLimit: 57, address: '10.9.9.9' });
  assert.deepEqual(parsePing(fixture('iputils-none.txt')), { transmitted: 2, received: 0, lossRatio: 1, address: '10.9.9.9' });
  assert.equal(parsePing(fixture('iputils-v6.txt'))?.address, '::1');
  assert.equal(parsePing('ping: unknown host'), undefined);
});

test('pings 127.0.0.1 with the system ping', { skip: hasPing ? false : 'ping not installed (apt-get install iputils-ping)' }, async () => {
  const r = await run({ host: '127.0.0.1', count: 2 });
  assert.equal(r.success, true, r.reason);
  assert.equal(sample(r, 'vigil_probe_icmp_packet_loss_ratio'), 0);
  const rtt = r.samples.find((s) => s.name === 'probe_icmp_duration_seconds');
  assert.deepEqual(rtt?.labels, { phase: 'rtt' });
  assert.ok((rtt?.value ?? 0) > 0 && (rtt?.value ?? 1) < 0.1);
  assert.equal(sample(r, 'probe_icmp_reply_hop_limit'), 64);
  assert.equal(sample(r, 'probe_ip_protocol'), 4);
});

test('unresolvable host and missing ping binary are clear failures', async () => {
  if (hasPing) {
    const r = await run({ host: 'no-such-host.invalid' });
    assert.equal(r.success, false);
    assert.equal(r.reason, 'cannot resolve no-such-host.invalid');
  }
  const missing = await run({ host: '127.0.0.1', ping_path: '/nonexistent/ping' });
  assert.equal(missing.reason, '/nonexistent/ping not found: install iputils-ping');
});

test('abort at the timeout kills ping and says so', { skip: hasPing ? false : 'ping not installed' }, async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const p = icmp.build(Value.Default(icmp.schema, { host: '127.0.0.1', count: 50 }) as Cfg, { name: 't', logger: silent });
  const r = await p.run(ac.signal, 150);
  assert.equal(r.success, false);
  assert.equal(r.reason, 'timeout after 150ms');
  assert.ok(r.durationSeconds < 1);
});

test('schema refuses option-looking hosts (no argument injection into ping)', () => {
  assert.equal(Value.Check(icmp.schema, { host: '-f', count: 1, ip_version: 'auto', max_packet_loss_percent: 1, ping_path: 'ping' }), false);
});
