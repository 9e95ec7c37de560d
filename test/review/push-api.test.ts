// Review: POST /loki/api/v1/push into the real embedded store, read back through the real LogQL
// engine, compared with Loki's documented behaviour.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { formatQueryError, LogQLEngine } from '../../src/query/logql/index.js';
import { PushRequestType } from '../../src/server/loki/push-proto.js';
import { snappyCompress } from '../../src/server/loki/snappy-codec.js';
import { testServer, type TestServer } from '../../src/server/testing/harness.js';
import { defaultLogStoreConfig, LogStore } from '../../src/store/logs/index.js';

interface StreamsBody {
  data: { resultType: string; result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
}

describe('review: push API into the real store', () => {
  let store: LogStore;
  let t: TestServer;
  const T = Math.floor(Date.now() / 1000) - 120; // whole seconds, inside the accepted window
  const ns = (sec: number) => `${sec}000000000`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-review-push-'));
    store = await LogStore.open({ dir, config: defaultLogStoreConfig(), logger: pino({ level: 'silent' }), registry: new Registry() });
    t = await testServer({ appender: store, querier: store, engine: new LogQLEngine(store), parseErrorFormatter: formatQueryError });
  });
  after(async () => {
    await t.app.close();
    await store.stop();
  });

  async function pushJson(body: unknown): Promise<number> {
    const r = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    return r.statusCode;
  }

  async function lines(query: string): Promise<string[]> {
    const p = new URLSearchParams({ query, start: String(T - 3600), end: String(T + 60), limit: '1000' });
    const r = await t.app.inject({ url: `/loki/api/v1/query_range?${p}` });
    assert.equal(r.statusCode, 200, r.body);
    const body = JSON.parse(r.body) as StreamsBody;
    return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
  }

  // Loki 3: structured metadata sent with an entry ([ts, line, {k: v}] in JSON, structuredMetadata
  // in protobuf) is stored and usable in the pipeline like a label (`| trace_id="abc"`).
  it('structured metadata pushed as JSON is kept and can be filtered on', async () => {
    assert.equal(await pushJson({ streams: [{ stream: { app: 'sm-json' }, values: [[ns(T), 'request done', { trace_id: 'abc123' }], [ns(T + 1), 'other request']] }] }), 204);
    // Metadata acts as a label in results, so the two entries are two streams, ordered by label text as Loki orders them.
    assert.deepEqual(await lines('{app="sm-json"}'), ['request done', 'other request']);
    assert.deepEqual(await lines('{app="sm-json"} | trace_id="abc123"'), ['request done']);
  });

  it('structured metadata pushed as snappy protobuf is kept and can be filtered on', async () => {
    const msg = PushRequestType.fromObject({
      streams: [{ labels: '{app="sm-proto"}', entries: [{ timestamp: { seconds: T, nanos: 0 }, line: 'traced', structuredMetadata: [{ name: 'trace_id', value: 'xyz' }] }] }],
    });
    const payload = await snappyCompress(Buffer.from(PushRequestType.encode(msg).finish()));
    const r = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload });
    assert.equal(r.statusCode, 204, r.body);
    assert.deepEqual(await lines('{app="sm-proto"} | trace_id="xyz"'), ['traced']);
  });

  // Loki ignores an entry identical (same stream, timestamp and line) to one it has: a client that
  // retries a push after a timeout or a 5xx (Promtail, Alloy, Vigil's own agents) stores it once.
  it('a retried push (identical entries) is stored once', async () => {
    const body = { streams: [{ stream: { app: 'retry' }, values: [[ns(T), 'a'], [ns(T + 1), 'b']] }] };
    assert.equal(await pushJson(body), 204);
    assert.equal(await pushJson(body), 204); // the client did not see the first answer and retries
    assert.deepEqual(await lines('{app="retry"}'), ['b', 'a']);
  });
});
