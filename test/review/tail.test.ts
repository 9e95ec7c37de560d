// Review: /loki/api/v1/tail against Loki's tail semantics. Loki's tailer forwards every entry
// pushed after the socket opened (it follows the ingester stream), whatever its timestamp and
// however many share one timestamp; Vigil follows appends through the AppendHub the same way.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { nowMicros } from '../../src/core/time.js';
import { LogQLEngine } from '../../src/query/logql/index.js';
import type { LokiTailFrame } from '../../src/server/loki/types.js';
import { testServer, type TestServer } from '../../src/server/testing/harness.js';
import { MemoryLogStore } from '../../src/server/testing/memory-store.js';
import { AppendHub } from '../../src/store/append-hub.js';
import { DEFAULT_TENANT } from '../../src/store/interfaces.js';

interface Client {
  ws: WebSocket;
  frames: LokiTailFrame[];
}

function connect(base: string, query: string, limit: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/loki/api/v1/tail?query=${encodeURIComponent(query)}&limit=${limit}`);
    const frames: LokiTailFrame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as LokiTailFrame));
    ws.on('open', () => resolve({ ws, frames }));
    ws.on('error', reject);
  });
}

const received = (c: Client): string[] => c.frames.flatMap((f) => f.streams.flatMap((s) => s.values.map((v) => v[1])));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

describe('review: tail delivers every new entry', () => {
  let t: TestServer;
  let store: MemoryLogStore;
  let hub: AppendHub;
  let base: string;
  before(async () => {
    store = new MemoryLogStore();
    hub = new AppendHub(store);
    t = await testServer({ appender: hub, feed: hub, querier: store, engine: new LogQLEngine(store) });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(() => t.app.close());

  // The file source stamps every line of one read with the same ctx.now() (file-source.ts add()),
  // so a burst of appended lines arrives as many entries sharing one timestamp.
  it('tail shows all lines of a burst that share one timestamp (more than limit)', async () => {
    const c = await connect(base, '{app="burst"}', 10);
    await sleep(150); // first (empty) poll done; we are now following
    const ts = nowMicros();
    const lines = Array.from({ length: 50 }, (_, i) => `burst line ${i}`);
    await hub.append(DEFAULT_TENANT, { streams: [{ labels: { app: 'burst' }, ts: lines.map(() => ts), lines }] });
    await waitFor(() => received(c).length >= 50, 3000);
    c.ws.close();
    assert.equal(received(c).length, 50, `tail delivered ${received(c).length} of 50 lines`);
  });

  // Two sources (the default config has `varlog` and `self`) or two agents emit independently;
  // a batch stamped earlier can land after a newer one was already sent.
  it('tail shows an entry that arrives after a newer entry was already sent', async () => {
    const c = await connect(base, '{job="late"}', 100);
    await sleep(150);
    const now = nowMicros();
    await hub.append(DEFAULT_TENANT, { streams: [{ labels: { job: 'late', src: 'a' }, ts: [now], lines: ['from source a'] }] });
    await waitFor(() => received(c).includes('from source a'), 3000);
    await hub.append(DEFAULT_TENANT, { streams: [{ labels: { job: 'late', src: 'b' }, ts: [now - 300_000], lines: ['from source b, read 300 ms earlier'] }] });
    await waitFor(() => received(c).length >= 2, 2000);
    c.ws.close();
    assert.deepEqual(received(c).sort(), ['from source a', 'from source b, read 300 ms earlier']);
  });
});
