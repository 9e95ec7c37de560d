import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { recordsToBatch } from '../../core/events.js';
import { nowMicros } from '../../core/time.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { testServer, type TestServer } from '../testing/harness.js';
import type { LokiTailFrame } from './types.js';

interface Client {
  ws: WebSocket;
  frames: LokiTailFrame[];
  closed: Promise<{ code: number; reason: string }>;
}

function connect(base: string, path: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`, { headers });
    const frames: LokiTailFrame[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as LokiTailFrame));
    ws.on('open', () => resolve({ ws, frames, closed }));
    ws.on('unexpected-response', (req, res) => {
      req.destroy(); // ws leaves the socket to us once we listen for this
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.on('error', reject);
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lines = (c: Client): string[] => c.frames.flatMap((f) => f.streams.flatMap((s) => s.values.map((v) => v[1])));

describe('GET /loki/api/v1/tail (websocket)', () => {
  let t: TestServer;
  let base: string;
  before(async () => {
    t = await testServer({ auth: { tokens: ['tok'], publicMetrics: false } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(() => t.app.close());
  const auth = { authorization: 'Bearer tok' };

  it('sends recent entries, then new ones once each, in Loki frames', async () => {
    const now = nowMicros();
    await t.hub.append(DEFAULT_TENANT, recordsToBatch([
      { ts: now - 5_000_000, labels: { app: 'tail' }, line: 'old 1' },
      { ts: now - 4_000_000, labels: { app: 'tail' }, line: 'old 2' },
      { ts: now - 4_000_000, labels: { app: 'other' }, line: 'not mine' },
    ]));
    const c = await connect(base, `/loki/api/v1/tail?query=${encodeURIComponent('{app="tail"}')}&limit=10`, auth);
    await until(() => lines(c).length === 2);
    assert.deepEqual(c.frames[0], {
      streams: [{ stream: { app: 'tail' }, values: [[`${now - 5_000_000}000`, 'old 1'], [`${now - 4_000_000}000`, 'old 2']] }],
      dropped_entries: null,
    });
    const t1 = nowMicros();
    await t.hub.append(DEFAULT_TENANT, recordsToBatch([{ ts: t1, labels: { app: 'tail' }, line: 'new 1' }]));
    await until(() => lines(c).length === 3);
    // Same timestamp as an entry already sent: still delivered, and the first one is not repeated.
    await t.hub.append(DEFAULT_TENANT, recordsToBatch([{ ts: t1, labels: { app: 'tail', x: 'y' }, line: 'new 2 same ts' }]));
    await until(() => lines(c).length === 4);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(lines(c), ['old 1', 'old 2', 'new 1', 'new 2 same ts']);
    c.ws.close(1000);
    assert.equal((await c.closed).code, 1000);
  });

  it('refuses bad parameters and missing auth with HTTP errors before the upgrade', async () => {
    await assert.rejects(connect(base, '/loki/api/v1/tail?query=%7Bapp%3D%22x%22%7D'), /HTTP 401/);
    await assert.rejects(connect(base, '/loki/api/v1/tail', auth), /HTTP 400/);
    await assert.rejects(connect(base, '/loki/api/v1/tail?query=%7Bapp%3D%22x%22%7D&delay_for=6', auth), /HTTP 400/);
  });

  it('refuses metric queries with HTTP 400 before the upgrade', async () => {
    await assert.rejects(connect(base, `/loki/api/v1/tail?query=${encodeURIComponent('count_over_time({app="tail"}[1m])')}`, auth), /HTTP 400/);
  });

  it('caps concurrent tails', async () => {
    const q = `/loki/api/v1/tail?query=${encodeURIComponent('{app="tail"}')}`;
    const a = await connect(base, q, auth);
    const b = await connect(base, q, auth);
    await assert.rejects(connect(base, q, auth), /HTTP 429/);
    a.ws.close();
    await a.closed;
    await until(() => true);
    await new Promise((r) => setTimeout(r, 20));
    const c = await connect(base, q, auth);
    b.ws.close();
    c.ws.close();
    await Promise.all([b.closed, c.closed]);
  });
});
