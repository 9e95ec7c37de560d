import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { conformance } from '../../components/conformance.js';
import type { Sink } from '../../components/contract.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import def from './index.js';
import { retryAfterMs } from './transport.js';
import { scriptedServer, testCert, type ScriptedServer } from './test-server.js';

conformance(def, import.meta.url);

// 2024-01-02T03:04:05.678901Z
const T = 1704164645678901;

function sampleBatch(): LogBatch {
  return {
    streams: [
      { labels: { service: 'api' }, ts: [T, T + 99], lines: ['first "quoted"', 'second\nwith newline'], fields: [{ user: 'ann' }, undefined] },
      { labels: { service: 'db', level: 'warn' }, ts: [T + 1_000_000], lines: ['third'] },
    ],
  };
}

const expected = [
  { timestamp: '2024-01-02T03:04:05.678901Z', labels: { service: 'api' }, line: 'first "quoted"', fields: { user: 'ann' } },
  { timestamp: '2024-01-02T03:04:05.679Z', labels: { service: 'api' }, line: 'second\nwith newline', fields: {} },
  { timestamp: '2024-01-02T03:04:06.678901Z', labels: { service: 'db', level: 'warn' }, line: 'third', fields: {} },
];

async function build(ctx: TestContext, config: Parameters<typeof def.build>[0]): Promise<Sink> {
  const s = def.build(config, ctx);
  await s.start();
  return s;
}

describe('http sink', () => {
  let s: ScriptedServer;
  before(async () => {
    s = await scriptedServer();
  });
  after(async () => {
    await s.close();
  });

  it('POSTs one NDJSON request per batch with headers and auth', async () => {
    const ctx = makeTestContext('sink', 'http');
    const sink = await build(ctx, { url: `${s.url}/ingest?x=1`, headers: { 'X-Source': 'vigil', Authorization: 'overridden below' }, auth: { bearer_token: 'tok' } });
    try {
      s.requests.length = 0;
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'delivered' });
      assert.equal(s.requests.length, 1);
      const r = s.requests[0];
      assert.ok(r);
      assert.equal(r.url, '/ingest?x=1');
      assert.equal(r.headers['content-type'], 'application/x-ndjson');
      assert.equal(r.headers['x-source'], 'vigil');
      assert.equal(r.headers['authorization'], 'Bearer tok');
      assert.equal(r.headers['content-encoding'], undefined);
      const text = r.body.toString('utf8');
      assert.ok(text.endsWith('\n'));
      assert.deepEqual(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown), expected);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 3);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('json encoding with gzip', async () => {
    const ctx = makeTestContext('sink', 'http');
    const sink = await build(ctx, { url: s.url, encoding: 'json', gzip: true });
    try {
      s.requests.length = 0;
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'delivered' });
      const r = s.requests[0];
      assert.ok(r);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.deepEqual(JSON.parse(gunzipSync(r.body).toString('utf8')), expected);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('a templated URL and header split a batch per destination; a failed destination alone is retried', async () => {
    const ctx = makeTestContext('sink', 'http');
    const sink = await build(ctx, { url: `${s.url}/intake/{{ labels.service }}`, headers: { 'X-Level': '{{labels.level}}' } });
    try {
      s.requests.length = 0;
      s.answers.length = 0;
      const r = await sink.send(sampleBatch());
      assert.equal(r.status, 'delivered');
      const got = s.requests.map((q) => [q.url, q.headers['x-level'], q.body.toString().trim().split('\n').length]).sort();
      assert.deepEqual(got, [['/intake/api', 'default', 2], ['/intake/db', 'warn', 1]]);

      s.requests.length = 0;
      s.answers.push({ status: 503 }, { status: 204 });
      const failed = await sink.send(sampleBatch());
      assert.equal(failed.status, 'partial');
      if (failed.status !== 'partial') return;
      assert.equal(failed.rejected.length, 0);
      const retried = failed.retry?.streams.map((x) => x.labels['service']) ?? [];
      assert.equal(retried.length, 1, 'only the destination that failed is retried');
      assert.throws(() => def.build({ url: `${s.url}/{{ service }}` }, ctx), /placeholders/);
    } finally {
      await sink.stop();
    }
  });

  it('maps answers: 429 Retry-After errored, 500 errored, 413/400 rejected, timeout errored', async () => {
    const ctx = makeTestContext('sink', 'http');
    const sink = await build(ctx, { url: s.url, timeout: '300ms' });
    try {
      s.answers.push({ status: 429, headers: { 'retry-after': '3' } });
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'errored', error: `${s.url} answered 429`, retryAfterMs: 3000 });
      s.answers.push({ status: 502, body: 'bad gateway' });
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'errored', error: `${s.url} answered 502: bad gateway` });
      s.answers.push({ status: 413, body: 'too big' });
      assert.deepEqual(await sink.send(sampleBatch()), { status: 'rejected', reason: `${s.url} answered 413: too big` });
      s.answers.push({ status: 400, body: 'x'.repeat(5000) });
      const r = await sink.send(sampleBatch());
      assert.equal(r.status, 'rejected');
      assert.ok((r as { reason: string }).reason.length < 1100, 'a huge error body is truncated');
      s.answers.push({ status: 204, delayMs: 2000 });
      const t = await sink.send(sampleBatch());
      assert.equal(t.status, 'errored');
      assert.match((t as { error: string }).error, /no answer within 300 ms/);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('an unstarted sink answers errored instead of throwing', async () => {
    const ctx = makeTestContext('sink', 'http');
    const sink = def.build({ url: s.url }, ctx);
    const r = await sink.send(sampleBatch());
    assert.equal(r.status, 'errored');
    ctx.cleanup();
  });
});

describe('http sink over TLS', () => {
  it('verifies against ca_file, sends a client certificate, refuses an unknown CA, skip-verify works with a warning', async () => {
    const s = await scriptedServer({ tls: { clientCert: true } });
    const plain = await scriptedServer({ tls: {} });
    const ctx = makeTestContext('sink', 'http');
    const warnings: string[] = [];
    ctx.logger.warn = ((_o: unknown, msg: string) => {
      warnings.push(msg);
    }) as typeof ctx.logger.warn;
    const good = await build(ctx, { url: s.url, tls: { ca_file: testCert('ca.pem'), cert_file: testCert('client.pem'), key_file: testCert('client.key') } });
    const noClientCert = await build(ctx, { url: s.url, tls: { ca_file: testCert('ca.pem') } });
    const systemCa = await build(ctx, { url: plain.url });
    const skip = await build(ctx, { url: plain.url, tls: { insecure_skip_verify: true } });
    try {
      assert.deepEqual(await good.send(sampleBatch()), { status: 'delivered' });
      assert.deepEqual(s.clientNames, ['vigil-agent']);
      assert.equal((await noClientCert.send(sampleBatch())).status, 'errored');
      const r = await systemCa.send(sampleBatch());
      assert.equal(r.status, 'errored');
      assert.match((r as { error: string }).error, /certificate/i);
      assert.deepEqual(await skip.send(sampleBatch()), { status: 'delivered' });
      assert.ok(warnings.some((w) => /NOT verified/.test(w)), JSON.stringify(warnings));
    } finally {
      for (const x of [good, noClientCert, systemCa, skip]) await x.stop();
      await s.close();
      await plain.close();
      ctx.cleanup();
    }
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, ignores junk', () => {
    assert.equal(retryAfterMs('120'), 120_000);
    assert.equal(retryAfterMs(['5']), 5000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')), 60_000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT')), 0);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs('-3'), undefined);
  });
});
