import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext } from '../../components/testing.js';
import { parseRfc3339 } from '../../core/time.js';
import { deferred, startHttpSource, type RunningSource } from '../shared-http/test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url, { config: () => ({ ...def.example, listen: '127.0.0.1:0' }) });

const SAMPLES = fileURLToPath(new URL('../../../../shared/samples', import.meta.url));

interface Sample { method: string; url: string; headers: Record<string, string>; body: string; parsed: Array<Record<string, unknown>> }
const sample = (name: string): Sample => JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as Sample;

interface BulkAnswer { took: number; errors: boolean; items: Array<Record<string, { _index: string; _id: string; status: number; result?: string; _version?: number; _seq_no?: number; _primary_term?: number; _shards?: unknown; error?: { type: string; reason: string } }>> }

const running: RunningSource[] = [];
async function start(config: Parameters<typeof def.build>[0] = {}): Promise<RunningSource> {
  const r = await startHttpSource(def, config);
  running.push(r);
  return r;
}
after(async () => {
  for (const r of running) await r.stop();
});

async function bulk(r: RunningSource, body: string | Buffer, headers: Record<string, string> = {}, path = '/_bulk'): Promise<{ status: number; json: BulkAnswer; headers: Headers }> {
  const res = await fetch(`${r.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
  return { status: res.status, json: (await res.json()) as BulkAnswer, headers: res.headers };
}

describe('elasticsearch source', () => {
  it('stores what rsyslog omelasticsearch and syslog-ng elasticsearch-http() sent, answering in ES shape', async () => {
    const r = await start({ labels: { source: 'es' } });
    const names = ['rsyslog-omelasticsearch-1.json', 'rsyslog-omelasticsearch-2.json', 'rsyslog-omelasticsearch-es8-1.json', 'rsyslog-omelasticsearch-retry-3.json', 'syslog-ng-elasticsearch-http-1.json'];
    const expected: Array<Record<string, unknown>> = [];
    for (const n of names) {
      const s = sample(n);
      const docs = s.parsed.filter((_, i) => i % 2 === 1);
      expected.push(...docs);
      const a = await bulk(r, s.body, { 'content-type': s.headers['content-type'] ?? 'application/json' }, s.url);
      assert.equal(a.status, 200);
      assert.equal(a.headers.get('x-elastic-product'), 'Elasticsearch');
      assert.equal(a.json.errors, false);
      assert.equal(a.json.items.length, docs.length);
      for (const item of a.json.items) {
        const x = item['index'];
        assert.ok(x);
        assert.deepEqual({ ...x, _id: '', _seq_no: 0 }, { _index: 'peers-logs', _id: '', _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status: 201 });
      }
    }
    const recs = r.records();
    assert.equal(recs.length, expected.length);
    recs.forEach((rec, i) => {
      const doc = expected[i] as Record<string, unknown>;
      assert.deepEqual(JSON.parse(rec.line), doc);
      assert.ok(!/\s(?=(?:[^"]*"[^"]*")*[^"]*$)/.test(rec.line), `compact: ${rec.line}`);
      assert.equal(rec.ts, parseRfc3339(doc['@timestamp'] as string));
      assert.deepEqual(rec.labels, { source: 'es', index: 'peers-logs' });
    });
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_sent_events_total'), expected.length);
  });

  it('answers the probes clients make before bulk', async () => {
    const r = await start();
    const root = await fetch(`${r.url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('x-elastic-product'), 'Elasticsearch');
    const info = (await root.json()) as { version: { number: string }; tagline: string };
    assert.equal(info.version.number, '8.11.0');
    assert.equal(info.tagline, 'You Know, for Search');
    assert.equal((await fetch(`${r.url}/`, { method: 'HEAD' })).status, 200);
    const health = (await (await fetch(`${r.url}/_cluster/health`)).json()) as { status: string };
    assert.equal(health.status, 'green');
    const cat = await fetch(`${r.url}/_cat/health`);
    assert.equal(cat.status, 200);
    assert.match(await cat.text(), / green /);
    assert.equal((await fetch(`${r.url}/_license`)).status, 200);
    assert.equal((await fetch(`${r.url}/_nodes/http`)).status, 200);
    assert.equal((await fetch(`${r.url}/_template/vigil`)).status, 404);
    const put = await fetch(`${r.url}/_template/vigil`, { method: 'PUT', body: '{"index_patterns":["x-*"]}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await put.json(), { acknowledged: true });
    assert.deepEqual(await (await fetch(`${r.url}/_template/vigil`)).json(), { vigil: { index_patterns: ['x-*'] } });
    assert.equal((await fetch(`${r.url}/_index_template/t1`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } })).status, 200);
    assert.equal((await fetch(`${r.url}/_ilm/policy/p1`, { method: 'PUT', body: '{"policy":{}}', headers: { 'content-type': 'application/json' } })).status, 200);
    assert.equal((await fetch(`${r.url}/_ilm/policy/p1`)).status, 200);
    const nf = await fetch(`${r.url}/_nope/x/y`);
    assert.equal(nf.status, 404);
    assert.equal(nf.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(((await nf.json()) as { error: { type: string } }).error.type, 'resource_not_found_exception');
  });

  it('answers per-item errors naming the line and stores the rest; index from the URL; PUT works too', async () => {
    const r = await start();
    const res = await fetch(`${r.url}/applogs/_bulk`, { method: 'PUT', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":{}}\n[1,2]\n{"create":{}}\n{"m":"ok"}\n{"delete":{"_id":"9"}}\n' });
    assert.equal(res.status, 200);
    const a = (await res.json()) as BulkAnswer;
    assert.equal(a.errors, true);
    assert.equal(a.items[0]?.['index']?.status, 400);
    assert.equal(a.items[0]?.['index']?.error?.type, 'mapper_parsing_exception');
    assert.match(a.items[0]?.['index']?.error?.reason ?? '', /line 2 is not a JSON object/);
    assert.equal(a.items[1]?.['create']?.status, 201);
    assert.equal(a.items[1]?.['create']?._index, 'applogs');
    assert.equal(a.items[2]?.['delete']?.status, 400);
    assert.deepEqual(r.records().map((x) => x.line), ['{"m":"ok"}']);
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'invalid_document' }), 2);
  });

  it('refuses a malformed action line with 400 in ES error shape', async () => {
    const r = await start();
    const res = await fetch(`${r.url}/_bulk`, { method: 'POST', body: '{"index":{"_index":"a"}}\n{}\nnot json\n{}\n' });
    assert.equal(res.status, 400);
    const e = (await res.json()) as { error: { type: string; reason: string; root_cause: unknown[] }; status: number };
    assert.equal(e.status, 400);
    assert.equal(e.error.type, 'illegal_argument_exception');
    assert.match(e.error.reason, /line \[3\]/);
    assert.equal(r.records().length, 0);
  });

  it('decodes gzip, refuses truncated gzip (400) and oversize bodies (413) before buffering', async () => {
    const r = await start({ max_body_bytes: 2000 });
    const text = '{"index":{"_index":"z"}}\n{"m":"zipped"}\n';
    assert.equal((await bulk(r, gzipSync(text), { 'content-encoding': 'gzip' })).status, 200);
    assert.deepEqual(r.records().map((x) => x.line), ['{"m":"zipped"}']);
    const gz = gzipSync(text);
    const trunc = await fetch(`${r.url}/_bulk`, { method: 'POST', body: gz.subarray(0, gz.length - 6), headers: { 'content-encoding': 'gzip' } });
    assert.equal(trunc.status, 400);
    assert.match(((await trunc.json()) as { error: { reason: string } }).error.reason, /malformed gzip body/);
    const big = await fetch(`${r.url}/_bulk`, { method: 'POST', body: `{"index":{"_index":"z"}}\n{"m":"${'x'.repeat(3000)}"}\n` });
    assert.equal(big.status, 413);
    const bomb = await fetch(`${r.url}/_bulk`, { method: 'POST', body: gzipSync(`{"index":{"_index":"z"}}\n{"m":"${'x'.repeat(100_000)}"}\n`), headers: { 'content-encoding': 'gzip' } });
    assert.equal(bomb.status, 413);
    assert.equal(r.records().length, 1);
  });

  it('answers only after emit resolved; 503 when emit rejects; 429 when saturated', async () => {
    const r = await start({ max_inflight_requests: 1 });
    const gate = deferred();
    r.ctx.onEmit = () => gate.promise;
    let answered = false;
    const first = bulk(r, '{"index":{"_index":"a"}}\n{"m":1}\n').then((x) => {
      answered = true;
      return x;
    });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(answered, false, 'no answer before the pipeline took the batch');
    const busy = await fetch(`${r.url}/_bulk`, { method: 'POST', body: '{"index":{"_index":"a"}}\n{"m":2}\n{"index":{"_index":"a"}}\n"bad"\n' });
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get('retry-after'), '1');
    // The request's error for clients that read the status, and every item for those (rsyslog) that only read items.
    const b = (await busy.json()) as BulkAnswer & { error: { type: string }; status: number };
    assert.equal(b.error.type, 'es_rejected_execution_exception');
    assert.equal(b.status, 429);
    assert.equal(b.errors, true);
    assert.deepEqual(b.items.map((i) => [i['index']?.status, i['index']?.error?.type]), [[429, 'es_rejected_execution_exception'], [400, 'mapper_parsing_exception']]);
    gate.resolve();
    assert.equal((await first).status, 200);
    r.ctx.onEmit = () => Promise.reject(new Error('sink refused'));
    const fail = await fetch(`${r.url}/_bulk`, { method: 'POST', body: '{"index":{"_index":"a"}}\n{"m":3}\n' });
    assert.equal(fail.status, 503);
    assert.equal(fail.headers.get('retry-after'), '1');
    const f = (await fail.json()) as BulkAnswer & { error: { type: string } };
    assert.equal(f.error.type, 'unavailable_shards_exception');
    assert.deepEqual(f.items.map((i) => i['index']?.status), [503]);
    assert.deepEqual(r.records().map((x) => x.line), ['{"m":1}']);
  });

  it('requires auth when configured and refuses non-loopback without it', async () => {
    const ctx = makeTestContext('source', 'elasticsearch');
    assert.throws(() => def.build({ listen: '0.0.0.0:9200' }, ctx), /refusing to listen on 0\.0\.0\.0:9200 without auth/);
    ctx.cleanup();
    const r = await start({ auth: { basic: { username: 'elastic', password: 's3cret' }, tokens: ['tok'] } });
    const body = '{"index":{"_index":"a"}}\n{"m":1}\n';
    const no = await fetch(`${r.url}/_bulk`, { method: 'POST', body });
    assert.equal(no.status, 401);
    assert.equal(((await no.json()) as { error: { type: string } }).error.type, 'security_exception');
    assert.equal((await bulk(r, body, { authorization: `Basic ${Buffer.from('elastic:wrong').toString('base64')}` })).status, 401);
    assert.equal((await bulk(r, body, { authorization: `Basic ${Buffer.from('elastic:s3cret').toString('base64')}` })).status, 200);
    assert.equal((await bulk(r, body, { authorization: 'Bearer tok' })).status, 200);
    assert.equal((await bulk(r, body, { authorization: 'ApiKey tok' })).status, 200);
    assert.equal(r.records().length, 3);
  });
});
