import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { conformance } from '../../components/conformance.js';
import type { Sink } from '../../components/contract.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import { deliver } from '../../pipeline/deliver.js';
import { fakeEs, type FakeEs } from './fake-es.js';
import def from './index.js';
import osDef from './opensearch.js';

conformance(def, import.meta.url);
// The opensearch definition shares this folder; the conformance naming check looks at the folder name.
conformance(osDef, new URL('../opensearch/index.ts', import.meta.url).href);

const T = Date.parse('2026-11-27T15:31:08.123Z') * 1000 + 456;

function batch(lines: string[], service = 'api'): LogBatch {
  return { streams: [{ labels: { service, host: 'h1' }, ts: lines.map((_, i) => T + i), lines }] };
}

async function start(ctx: TestContext, config: Parameters<typeof def.build>[0], d = def): Promise<Sink> {
  const s = d.build(config, ctx);
  await s.start();
  return s;
}

describe('elasticsearch sink against a recorded-shape ES', () => {
  let es: FakeEs;
  before(async () => {
    es = await fakeEs();
  });
  after(async () => {
    await es.close();
  });

  it('bulk mode: NDJSON with the documented headers, gzip, ApiKey auth, date-templated index, pipeline param', async () => {
    es.docs.clear();
    es.requests.length = 0;
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = await start(ctx, { url: `${es.url}/`, index: 'Vigil-{{ labels.service }}-%Y.%m.%d', gzip: true, pipeline: 'geo ip', auth: { api_key: 'aWQ6a2V5' } });
    try {
      assert.deepEqual(await sink.send(batch(['one', 'two'])), { status: 'delivered' });
      const req = es.requests[0];
      assert.ok(req);
      assert.equal(req.url, '/_bulk?pipeline=geo%20ip');
      assert.equal(req.headers['content-type'], 'application/x-ndjson');
      assert.equal(req.headers['content-encoding'], 'gzip');
      assert.equal(req.headers['authorization'], 'ApiKey aWQ6a2V5');
      assert.ok(gunzipSync(req.body).toString().endsWith('\n'));
      const docs = [...es.docs.values()];
      assert.deepEqual(docs.map((d) => [d.index, d.source['message'], d.source['@timestamp']]), [
        ['vigil-api-2026.11.27', 'one', '2026-11-27T15:31:08.123456Z'],
        ['vigil-api-2026.11.27', 'two', '2026-11-27T15:31:08.123457Z'],
      ]);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 2);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('data_stream mode with create_template: PUTs the template, writes create actions to logs-<dataset>-<namespace>', async () => {
    es.docs.clear();
    const ctx = makeTestContext('sink', 'elasticsearch', 'es_ds');
    const sink = await start(ctx, { url: es.url, mode: 'data_stream', data_stream: { dataset: '{{ labels.service }}', namespace: 'prod' }, create_template: true, auth: { username: 'elastic', password: 'pw' } });
    try {
      const tpl = es.templates.get('vigil-es_ds');
      assert.ok(tpl, 'template created');
      assert.deepEqual(tpl['index_patterns'], ['logs-*-prod']);
      assert.deepEqual(tpl['data_stream'], {});
      assert.equal((tpl as { template: { mappings: { properties: Record<string, { type: string }> } } }).template.mappings.properties['@timestamp']?.type, 'date_nanos');
      assert.equal(es.requests.at(-1)?.headers['authorization'], `Basic ${Buffer.from('elastic:pw').toString('base64')}`);
      assert.deepEqual(await sink.send(batch(['x'], 'web-app')), { status: 'delivered' });
      const body = es.requests.at(-1)?.body.toString() ?? '';
      assert.match(body, /^\{"create":\{"_index":"logs-web_app-prod","_id":"[A-Za-z0-9_-]{22}"\}\}\n/);
      assert.equal([...es.docs.values()][0]?.index, 'logs-web_app-prod');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('a lost answer retried with deterministic ids stores nothing twice (409 counts as stored)', async () => {
    es.docs.clear();
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = await start(ctx, { url: es.url, action: 'create' });
    try {
      es.lose = 1;
      const r = await sink.send(batch(['a', 'b', 'c']));
      assert.equal(r.status, 'errored');
      assert.equal(es.docs.size, 3, 'ES stored them although the answer was lost');
      assert.deepEqual(await sink.send(batch(['a', 'b', 'c'])), { status: 'delivered' });
      assert.equal(es.docs.size, 3);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('through deliver(): per-item 429 retried alone, mapping errors dead-lettered with type and reason, the rest stored once', async () => {
    es.docs.clear();
    es.requests.length = 0;
    let busy = 2;
    es.rule = (_action, _meta, doc) => {
      const m = String(doc['message']);
      if (m.startsWith('BAD')) return { status: 400, type: 'mapper_parsing_exception', reason: "failed to parse field [message] of type [long] in document with id 'x'" };
      if (m.startsWith('BUSY') && busy-- > 0) return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, max_coordinating_and_primary_bytes=0]' };
      return undefined;
    };
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = await start(ctx, { url: es.url, action: 'create' });
    const dlq = join(ctx.dataDir, 'dlq');
    try {
      await deliver(batch(['ok1', 'BUSY1', 'BAD1', 'ok2', 'BUSY2']), { sinkId: 'es', sink, metrics: ctx.metrics, logger: ctx.logger, deadLetterDir: dlq, signal: ctx.signal, minBackoffMs: 1, maxBackoffMs: 5 });
      assert.deepEqual([...es.docs.values()].map((d) => d.source['message']).sort(), ['BUSY1', 'BUSY2', 'ok1', 'ok2']);
      assert.equal(es.requests.length, 2);
      const second = es.requests[1]?.body.toString().split('\n').filter((_, i) => i % 2 === 1).map((l) => (JSON.parse(l) as { message: string }).message);
      assert.deepEqual(second, ['BUSY1', 'BUSY2'], 'only the retriable items are sent again');
      const dead = readFileSync(join(dlq, 'es.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: string; reason: string });
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.line, 'BAD1');
      assert.match(dead[0]?.reason ?? '', /400 mapper_parsing_exception: failed to parse field \[message\]/);
    } finally {
      es.rule = undefined;
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('index actions into a data stream are refused by ES and dead-lettered, never retried', async () => {
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = await start(ctx, { url: es.url, index: 'logs-app-default' });
    try {
      const r = await sink.send(batch(['x']));
      assert.equal(r.status, 'rejected');
      assert.match((r as { reason: string }).reason, /illegal_argument_exception: only write ops with an op_type of create/);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('connection refused and whole-request 429 are errored (retry), with Retry-After', async () => {
    const ctx = makeTestContext('sink', 'elasticsearch');
    const dead = await start(ctx, { url: 'http://127.0.0.1:1', timeout: '2s' });
    const sink = await start(ctx, { url: es.url });
    try {
      const r1 = await dead.send(batch(['x']));
      assert.equal(r1.status, 'errored');
      es.answers.push({ status: 429, headers: { 'retry-after': '3' }, body: '{"error":{"type":"circuit_breaking_exception"},"status":429}' });
      const r2 = await sink.send(batch(['x']));
      assert.equal(r2.status, 'errored');
      assert.equal((r2 as { retryAfterMs?: number }).retryAfterMs, 3000);
    } finally {
      await dead.stop();
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('create_template failure is logged, not fatal; opensearch works without the Elastic product header', async () => {
    es.product = false;
    es.answers.push({ status: 403, body: '{"error":"forbidden"}' });
    const ctx = makeTestContext('sink', 'opensearch');
    const sink = await start(ctx, { url: es.url, create_template: true, labels_as: 'fields' }, osDef);
    try {
      es.docs.clear();
      assert.deepEqual(await sink.send(batch(['x'])), { status: 'delivered' });
      assert.deepEqual([...es.docs.values()][0]?.source, { '@timestamp': '2026-11-27T15:31:08.123456Z', message: 'x', service: 'api', host: 'h1' });
    } finally {
      es.product = true;
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('refuses mixed auth at build', () => {
    const ctx = makeTestContext('sink', 'elasticsearch', 'bad');
    assert.throws(() => def.build({ url: es.url, auth: { api_key: 'k', username: 'u', password: 'p' } }, ctx), /sinks\.bad\.auth: choose one/);
    ctx.cleanup();
  });
});

describe('elasticsearch sink transport details', () => {
  it('trusts the configured CA over HTTPS and warns once when the answer lacks X-Elastic-Product', async () => {
    const { scriptedServer, testCert } = await import('../http/test-server.js');
    const srv = await scriptedServer({ tls: {} });
    const ok = JSON.stringify({ took: 1, errors: false, items: [{ index: { _index: 'vigil-2026.11.27', _id: 'a', status: 201, result: 'created' } }] });
    srv.answers.push({ status: 200, body: ok, headers: { 'content-type': 'application/json' } }, { status: 200, body: ok });
    const warnings: string[] = [];
    const ctx = makeTestContext('sink', 'elasticsearch');
    const { pino } = await import('pino');
    ctx.logger = pino({ level: 'warn' }, { write: (s: string) => void warnings.push(s) });
    const sink = await start(ctx, { url: srv.url, tls: { ca_file: testCert('ca.pem'), server_name: 'localhost' } });
    try {
      assert.deepEqual(await sink.send(batch(['x'])), { status: 'delivered' });
      assert.deepEqual(await sink.send(batch(['y'])), { status: 'delivered' });
      assert.equal(srv.requests.length, 2);
      assert.equal(warnings.filter((w) => w.includes('X-Elastic-Product')).length, 1);
    } finally {
      await sink.stop();
      await srv.close();
      ctx.cleanup();
    }
  });
});
