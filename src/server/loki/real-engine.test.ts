// The server over the real LogQL engine (src/query/logql/) and the in-memory store: checks the
// two meet at the LogQueryEngine contract, and that tail follows full LogQL pipelines.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { recordsToBatch } from '../../core/events.js';
import { nowMicros } from '../../core/time.js';
import { formatQueryError, LogQLEngine } from '../../query/logql/index.js';
import { AppendHub } from '../../store/append-hub.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { MemoryLogStore } from '../testing/memory-store.js';
import { testServer } from '../testing/harness.js';
import type { LokiTailFrame } from './types.js';

describe('server + real LogQL engine', () => {
  it('answers parse errors as Loki text with the formatter, and tails a pipeline query', async () => {
    const store = new MemoryLogStore();
    const hub = new AppendHub(store);
    const t = await testServer({ appender: hub, feed: hub, querier: store, engine: new LogQLEngine(store), parseErrorFormatter: formatQueryError });
    const bad = await t.app.inject({ url: `/loki/api/v1/query_range?query=${encodeURIComponent('{app="a"} |= ')}` });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(bad.body, /^\{app="a"\} \|= \n {13}\^\n/);

    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const q = encodeURIComponent('{app="a"} | logfmt | level="error"');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/loki/api/v1/tail?query=${q}`);
    const frames: LokiTailFrame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as LokiTailFrame));
    await new Promise((r) => ws.on('open', r));
    const now = nowMicros();
    await hub.append(DEFAULT_TENANT, recordsToBatch([
      { ts: now, labels: { app: 'a' }, line: 'level=info msg=skip' },
      { ts: now + 1, labels: { app: 'a' }, line: 'level=error msg=boom' },
    ]));
    const deadline = Date.now() + 3000;
    while (frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(frames[0], {
      streams: [{ stream: { app: 'a', level: 'error', msg: 'boom' }, values: [[`${now + 1}000`, 'level=error msg=boom']] }],
      dropped_entries: null,
    });
    ws.close();
    await new Promise((r) => ws.on('close', r));
    await t.app.close();
  });
});
