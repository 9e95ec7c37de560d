import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { monitorsCommand, renderMonitors, type MonitorRow } from './monitors.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const rows: MonitorRow[] = [
  { name: 'api', type: 'http', state: 'UP', since: new Date(now - 3 * 3600_000 - 65_000).toISOString(), reason: 'up', lastLatencyMs: 42.5, uptime24h: 0.99931, recentLatenciesMs: [10, 20, 40, 80] },
  { name: 'nightly-backup', type: 'heartbeat', state: 'DOWN', since: new Date(now - 90_000).toISOString(), reason: 'no heartbeat for 1h6m', uptime24h: null },
];

test('renders an aligned table with state colours only when asked', () => {
  const plain = renderMonitors(rows, false, now);
  assert.equal(plain.length, 3);
  assert.match(plain[0] ?? '', /^NAME +TYPE +STATE +SINCE +LATENCY +UPTIME 24H +RECENT +REASON$/);
  assert.match(plain[1] ?? '', /^api +http +UP +3h1m ago +43ms +99\.93% +▁▂▄█ +up$/);
  assert.match(plain[2] ?? '', /^nightly-backup +heartbeat +DOWN +1m30s ago +- +- +no heartbeat for 1h6m$/);
  assert.equal(plain[1]?.indexOf('UP'), plain[2]?.indexOf('DOWN'));
  assert.doesNotMatch(plain.join('\n'), /\x1b/);
  const color = renderMonitors(rows, true, now);
  assert.ok(color[2]?.includes('\x1b[31mDOWN'));
});

test('fetches from the server; --fail-on-down exits 3; errors exit 1', async (t) => {
  const app = Fastify();
  app.get('/api/vigil/v1/monitors', async (req, reply) => (req.headers.authorization === 'Bearer secret-token-123456' ? { status: 'success', data: rows } : reply.code(401).send({ status: 'error', error: 'invalid token' })));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  let out = '';
  let err = '';
  const code = await monitorsCommand({ server: url, token: 'secret-token-123456', output: 'json', failOnDown: true }, (s) => (out += s), (s) => (err += s));
  assert.equal(code, 3);
  assert.equal(JSON.parse(out).length, 2);
  out = '';
  assert.equal(await monitorsCommand({ server: url, token: 'secret-token-123456', output: 'table', color: false }, (s) => (out += s), (s) => (err += s)), 0);
  assert.match(out, /nightly-backup/);
  assert.equal(await monitorsCommand({ server: url, token: 'wrong', output: 'table' }, (s) => (out += s), (s) => (err += s)), 1);
  assert.match(err, /401/);
});
