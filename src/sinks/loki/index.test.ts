import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { conformance } from '../../components/conformance.js';
import type { Sink } from '../../components/contract.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import { decodePushProto } from '../../server/loki/push-proto.js';
import { snappyUncompress } from '../../server/loki/snappy-codec.js';
import { testServer, type TestServer } from '../../server/testing/harness.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { deliver } from '../../pipeline/deliver.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptedServer, type ScriptedServer } from '../http/test-server.js';
import def from './index.js';

conformance(def, import.meta.url);

const now = Math.floor(Date.now() / 1000) * 1_000_000;

function sampleBatch(): LogBatch {
  return {
    streams: [
      { labels: { service: 'api', level: 'info' }, ts: [now + 1, now + 123_456], lines: ['GET /a 200', 'ünïcode ✓ line'], fields: [{ trace_id: 'abc' }, undefined] },
      { labels: { service: 'db' }, ts: [now + 999_999], lines: ['slow query'] },
    ],
  };
}

async function build(ctx: TestContext, config: Parameters<typeof def.build>[0]): Promise<Sink> {
  const s = def.build(config, ctx);
  await s.start();
  return s;
}

describe('loki sink → Vigil server (interop)', () => {
  let t: TestServer;
  let url: string;
  before(async () => {
    t = await testServer({ multiTenant: true });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.app.close();
  });

  it('delivers every entry exactly: labels (with static ones), timestamps to the microsecond, lines, metadata, tenant', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const sink = await build(ctx, { url: `${url}/`, tenant_id: 'fleet', labels: { cluster: 'eu-1', service: 'overridden' } });
    try {
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'delivered' });
      const rows = t.store.dump('fleet');
      assert.deepEqual(rows, [
        { labels: { cluster: 'eu-1', level: 'info', service: 'api' }, ts: now + 1, line: 'GET /a 200', fields: { trace_id: 'abc' } },
        { labels: { cluster: 'eu-1', level: 'info', service: 'api' }, ts: now + 123_456, line: 'ünïcode ✓ line' },
        { labels: { cluster: 'eu-1', service: 'db' }, ts: now + 999_999, line: 'slow query' },
      ]);
      assert.equal(t.store.dump(DEFAULT_TENANT).length, 0);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 3);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('a request the server refuses (entry too old) is rejected with the server message', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const sink = await build(ctx, { url, tenant_id: 'fleet' });
    try {
      const old = now - 30 * 24 * 3600 * 1_000_000;
      const r = await sink.send({ streams: [{ labels: { service: 'api' }, ts: [old], lines: ['ancient'] }] });
      assert.equal(r.status, 'rejected');
      assert.match((r as { reason: string }).reason, /answered 400: .*too (old|far)/i);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });
});

describe('loki sink: request shape and error mapping', () => {
  let s: ScriptedServer;
  before(async () => {
    s = await scriptedServer();
  });
  after(async () => {
    await s.close();
  });

  it('sends one snappy protobuf request per batch with tenant, auth and extra headers', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const sink = await build(ctx, { url: s.url, tenant_id: 't1', auth: { username: 'u', password: 'p w' }, headers: { 'X-Extra': 'yes' } });
    try {
      s.requests.length = 0;
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'delivered' });
      assert.equal(s.requests.length, 1);
      const req = s.requests[0];
      assert.ok(req);
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/loki/api/v1/push');
      assert.equal(req.headers['content-type'], 'application/x-protobuf');
      assert.equal(req.headers['x-scope-orgid'], 't1');
      assert.equal(req.headers['authorization'], `Basic ${Buffer.from('u:p w').toString('base64')}`);
      assert.equal(req.headers['x-extra'], 'yes');
      const decoded = decodePushProto(await snappyUncompress(req.body, 1 << 20));
      assert.equal(decoded.length, 2);
      assert.deepEqual(decoded[0]?.labels, { level: 'info', service: 'api' });
      assert.deepEqual(decoded[0]?.ts, [now + 1, now + 123_456]);
      assert.deepEqual(decoded[0]?.fields, [{ trace_id: 'abc' }, undefined]);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('bearer token and API key auth', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const a = await build(ctx, { url: s.url, auth: { bearer_token: 'sekret' } });
    const b = await build(ctx, { url: s.url, auth: { api_key: 'k1', api_key_header: 'X-Key' } });
    try {
      s.requests.length = 0;
      await a.send(sampleBatch());
      await b.send(sampleBatch());
      assert.equal(s.requests[0]?.headers['authorization'], 'Bearer sekret');
      assert.equal(s.requests[0]?.headers['x-scope-orgid'], undefined);
      assert.equal(s.requests[1]?.headers['x-key'], 'k1');
      assert.equal(s.requests[1]?.headers['authorization'], undefined);
    } finally {
      await a.stop();
      await b.stop();
      ctx.cleanup();
    }
  });

  it('maps 429 + Retry-After, 503 + HTTP-date, 500, 400 and 401 to the right results', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const sink = await build(ctx, { url: s.url });
    try {
      s.answers.push({ status: 429, headers: { 'retry-after': '7' }, body: 'Ingestion rate limit exceeded' });
      let r = await sink.send(sampleBatch());
      assert.deepEqual(r, { status: 'errored', error: `loki ${s.url} answered 429: Ingestion rate limit exceeded`, retryAfterMs: 7000 });

      s.answers.push({ status: 503, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } });
      r = await sink.send(sampleBatch());
      assert.equal(r.status, 'errored');
      const ms = (r as { retryAfterMs?: number }).retryAfterMs ?? 0;
      assert.ok(ms > 55_000 && ms <= 60_000, String(ms));

      s.answers.push({ status: 500, body: 'boom' });
      r = await sink.send(sampleBatch());
      assert.deepEqual(r, { status: 'errored', error: `loki ${s.url} answered 500: boom` });

      s.answers.push({ status: 400, body: 'entry for stream \'{service="api"}\' has timestamp too old' });
      r = await sink.send(sampleBatch());
      assert.deepEqual(r, { status: 'rejected', reason: `loki ${s.url} answered 400: entry for stream '{service="api"}' has timestamp too old` });

      s.answers.push({ status: 401, body: 'no org id' });
      r = await sink.send(sampleBatch());
      assert.equal(r.status, 'rejected');

      assert.equal(await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'sending' }), 15);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('through deliver(): a 429 with Retry-After is retried after the asked delay, a 400 is dead-lettered with Loki\'s message', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const sink = await build(ctx, { url: s.url });
    const opts = { sinkId: 'lk', sink, metrics: ctx.metrics, logger: ctx.logger, deadLetterDir: join(ctx.dataDir, 'dl'), signal: ctx.signal, minBackoffMs: 1, maxBackoffMs: 5 };
    try {
      s.requests.length = 0;
      s.answers.push({ status: 429, headers: { 'retry-after': '1' } }, { status: 500 });
      const t0 = Date.now();
      await deliver(sampleBatch(), opts);
      assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After');
      assert.equal(s.requests.length, 3);
      assert.deepEqual(s.requests[2]?.body, s.requests[0]?.body, 'the same batch is resent');

      s.answers.push({ status: 400, body: 'stream has 20 labels, the limit is 15' });
      await deliver(sampleBatch(), opts);
      const dead = readFileSync(join(ctx.dataDir, 'dl', 'lk.ndjson'), 'utf8').trimEnd().split('\n');
      assert.equal(dead.length, 3);
      assert.match(dead[0] ?? '', /answered 400: stream has 20 labels, the limit is 15/);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('a refused connection and a timeout are errored, never thrown', async () => {
    const ctx = makeTestContext('sink', 'loki');
    const dead = await scriptedServer();
    const deadUrl = dead.url;
    await dead.close();
    const a = await build(ctx, { url: deadUrl });
    const slow = await build(ctx, { url: s.url, timeout: '200ms' });
    try {
      const r = await a.send(sampleBatch());
      assert.equal(r.status, 'errored');
      assert.match((r as { error: string }).error, /connection refused/);
      s.answers.push({ status: 204, delayMs: 1500 });
      const t = await slow.send(sampleBatch());
      assert.equal(t.status, 'errored');
      assert.match((t as { error: string }).error, /no answer within 200 ms/);
    } finally {
      await a.stop();
      await slow.stop();
      ctx.cleanup();
    }
  });

  it('refuses conflicting auth and unreadable TLS files at start, naming the option', async () => {
    const ctx = makeTestContext('sink', 'loki');
    try {
      await assert.rejects(build(ctx, { url: s.url, auth: { bearer_token: 'x', api_key: 'y' } }), /sinks\.test_loki\.auth: choose one/);
      await assert.rejects(build(ctx, { url: s.url, auth: { username: 'x' } }), /username and password go together/);
      await assert.rejects(build(ctx, { url: 'https://127.0.0.1:1', tls: { ca_file: '/nonexistent/ca.pem' } }), /sinks\.test_loki\.tls\.ca_file \/nonexistent\/ca\.pem/);
    } finally {
      ctx.cleanup();
    }
  });
});
