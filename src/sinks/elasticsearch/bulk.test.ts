import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogBatch } from '../../core/events.js';
import type { HttpResponse } from '../../http/client.js';
import { buildDocument, deterministicId, encodeBulk, isoMicros, subBatch } from './bulk-request.js';
import { judgeBulk } from './bulk-response.js';
import { parseIndexTemplate } from './index-name.js';

const T = Date.parse('2026-11-27T15:31:08.123Z') * 1000 + 456;

function batch(): LogBatch {
  return {
    streams: [
      { labels: { service: 'api', level: 'info' }, ts: [T, T + 1, T + 2], lines: ['a', '{"user":"bob","message":"inner","@timestamp":"bogus","n":3}', 'c'], fields: [{ trace_id: 't1' }, undefined, { '@timestamp': 'x', labels: 'y' }] },
      { labels: { service: 'db' }, ts: [T + 3], lines: ['d'] },
    ],
  };
}

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers, body: buf, text: () => buf.toString(), json: <X>() => JSON.parse(buf.toString()) as X };
}

const opts = { index: parseIndexTemplate('logs-{{ labels.service }}-%Y.%m.%d'), action: 'create' as const, labelsAs: 'object' as const, parseJson: false, deterministicIds: true };

describe('bulk request encoding', () => {
  it('ISO-8601 timestamps keep all six microsecond digits', () => {
    assert.equal(isoMicros(T), '2026-11-27T15:31:08.123456Z');
    assert.equal(isoMicros(Date.parse('1999-12-31T23:59:59Z') * 1000 + 7), '1999-12-31T23:59:59.000007Z');
  });

  it('writes action + document line pairs ending in a newline, one per entry, in batch order', () => {
    const enc = encodeBulk(batch(), opts);
    const lines = enc.body.toString().split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 8);
    const a0 = JSON.parse(lines[0] ?? '') as { create: { _index: string; _id: string } };
    assert.equal(a0.create._index, 'logs-api-2026.11.27');
    assert.equal(a0.create._id, deterministicId('level\u0000info\u0001service\u0000api\u0001', T, 'a'));
    assert.equal(a0.create._id.length, 22);
    assert.deepEqual(JSON.parse(lines[1] ?? ''), { '@timestamp': '2026-11-27T15:31:08.123456Z', message: 'a', labels: { service: 'api', level: 'info' }, trace_id: 't1' });
    // Fields never overwrite @timestamp or labels.
    assert.deepEqual(JSON.parse(lines[5] ?? ''), { '@timestamp': '2026-11-27T15:31:08.123458Z', message: 'c', labels: { service: 'api', level: 'info' } });
    assert.equal((JSON.parse(lines[6] ?? '') as { create: { _index: string } }).create._index, 'logs-db-2026.11.27');
    assert.deepEqual(enc.positions, [{ stream: 0, entry: 0 }, { stream: 0, entry: 1 }, { stream: 0, entry: 2 }, { stream: 1, entry: 0 }]);
    assert.deepEqual(enc.ownId, [true, true, true, true]);
  });

  it('ids are the same on a retry and differ when labels, time or line differ', () => {
    const a = encodeBulk(batch(), opts).body.toString();
    assert.equal(encodeBulk(batch(), opts).body.toString(), a);
    const k = 'service\u0000api\u0001';
    const id = deterministicId(k, T, 'x');
    assert.notEqual(deterministicId(k, T + 1, 'x'), id);
    assert.notEqual(deterministicId(k, T, 'y'), id);
    assert.notEqual(deterministicId('service\u0000db\u0001', T, 'x'), id);
    // Label order does not change the stream key.
    const swapped: LogBatch = { streams: [{ labels: { level: 'info', service: 'api' }, ts: [T], lines: ['a'] }] };
    assert.equal(encodeBulk(swapped, opts).body.toString().split('\n')[0], a.split('\n')[0]);
  });

  it('index action without deterministic ids lets ES pick ids; id_field wins when present', () => {
    const enc = encodeBulk(batch(), { ...opts, action: 'index', deterministicIds: false, idField: 'trace_id' });
    const lines = enc.body.toString().split('\n');
    assert.deepEqual(JSON.parse(lines[0] ?? ''), { index: { _index: 'logs-api-2026.11.27', _id: 't1' } });
    assert.deepEqual(JSON.parse(lines[2] ?? ''), { index: { _index: 'logs-api-2026.11.27' } });
    assert.deepEqual(enc.ownId, [true, false, false, false]);
  });

  it('parse_json merges a JSON line, keeping our @timestamp and labels; labels_as fields flattens', () => {
    const doc = buildDocument({ labelsAs: 'object', parseJson: true }, T, { service: 'api' }, '{"user":"bob","message":"inner","@timestamp":"bogus","labels":1}', undefined);
    assert.deepEqual(doc, { '@timestamp': '2026-11-27T15:31:08.123456Z', message: 'inner', labels: { service: 'api' }, user: 'bob' });
    assert.deepEqual(buildDocument({ labelsAs: 'object', parseJson: true }, T, {}, '[1,2]', undefined)['message'], '[1,2]');
    assert.deepEqual(buildDocument({ labelsAs: 'object', parseJson: true }, T, {}, '{broken', undefined)['message'], '{broken');
    assert.deepEqual(buildDocument({ labelsAs: 'fields', parseJson: false }, T, { service: 'api' }, 'x', { f: '1' }), { '@timestamp': '2026-11-27T15:31:08.123456Z', message: 'x', service: 'api', f: '1' });
  });

  it('an entry without a valid index name is set aside, the others are sent', () => {
    const enc = encodeBulk(batch(), { ...opts, index: parseIndexTemplate('{{ labels.level }}') });
    assert.equal(enc.positions.length, 3);
    assert.equal(enc.unsendable.length, 1);
    assert.deepEqual(enc.unsendable[0]?.position, { stream: 1, entry: 0 });
    assert.match(enc.unsendable[0]?.reason ?? '', /gives no valid index name/);
  });

  it('subBatch keeps labels, order and fields of the chosen entries', () => {
    const b = subBatch(batch(), [{ stream: 1, entry: 0 }, { stream: 0, entry: 2 }, { stream: 0, entry: 0 }]);
    assert.deepEqual(b, {
      streams: [
        { labels: { service: 'api', level: 'info' }, ts: [T + 2, T], lines: ['c', 'a'], fields: [{ '@timestamp': 'x', labels: 'y' }, { trace_id: 't1' }] },
        { labels: { service: 'db' }, ts: [T + 3], lines: ['d'] },
      ],
    });
  });
});

describe('bulk response judgement', () => {
  const what = 'elasticsearch http://es';
  const ok = (st = 201) => ({ create: { _index: 'i', _id: 'x', _version: 1, result: 'created', status: st } });
  const err = (status: number, type: string, reason: string) => ({ create: { _index: 'i', _id: 'x', status, error: { type, reason } } });

  it('errors:false is delivered', () => {
    const enc = encodeBulk(batch(), opts);
    const r = judgeBulk(batch(), enc, response(200, { took: 1, errors: false, items: [ok(), ok(), ok(), ok()] }), 'create', what);
    assert.deepEqual(r.result, { status: 'delivered' });
    assert.equal(r.stored, 4);
  });

  it('per item: 409 on our own id is stored, 429/503 retried, 4xx rejected grouped by reason', () => {
    const enc = encodeBulk(batch(), opts);
    const body = {
      took: 5,
      errors: true,
      items: [
        err(409, 'version_conflict_engine_exception', '[x]: version conflict, document already exists (current version [1])'),
        err(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation'),
        err(400, 'mapper_parsing_exception', 'failed to parse field [n] of type [long]'),
        err(503, 'unavailable_shards_exception', 'primary shard is not active'),
      ],
    };
    const r = judgeBulk(batch(), enc, response(200, body), 'create', what);
    assert.deepEqual([r.stored, r.alreadyStored, r.retried, r.rejected], [0, 1, 2, 1]);
    assert.equal(r.result.status, 'partial');
    if (r.result.status !== 'partial') return;
    assert.deepEqual(r.result.retry, { streams: [{ labels: { service: 'api', level: 'info' }, ts: [T + 1], lines: ['{"user":"bob","message":"inner","@timestamp":"bogus","n":3}'], fields: [undefined] }, { labels: { service: 'db' }, ts: [T + 3], lines: ['d'] }] });
    assert.equal(r.result.rejected.length, 1);
    assert.equal(r.result.rejected[0]?.reason, 'elasticsearch http://es: 400 mapper_parsing_exception: failed to parse field [n] of type [long]');
    assert.deepEqual(r.result.rejected[0]?.batch.streams[0]?.lines, ['c']);
  });

  it('409 is a rejection when the id was not ours or the action was index', () => {
    const enc = encodeBulk(batch(), { ...opts, deterministicIds: false });
    const items = [err(409, 'version_conflict_engine_exception', 'exists'), ok(), ok(), ok()];
    const r = judgeBulk(batch(), enc, response(200, { errors: true, items }), 'create', what);
    assert.equal(r.result.status, 'partial');
    assert.equal(r.rejected, 1);
  });

  it('all items retriable → errored (nothing partial to report)', () => {
    const enc = encodeBulk(batch(), opts);
    const e = err(429, 'es_rejected_execution_exception', 'queue full');
    const r = judgeBulk(batch(), enc, response(200, { errors: true, items: [e, e, e, e] }), 'create', what);
    assert.equal(r.result.status, 'errored');
  });

  it('whole-request 429 honours Retry-After; 5xx errored; 400 rejected with the body', () => {
    const enc = encodeBulk(batch(), opts);
    const r = judgeBulk(batch(), enc, response(429, '{"error":"too many"}', { 'retry-after': '7' }), 'create', what);
    assert.deepEqual(r.result, { status: 'errored', error: 'elasticsearch http://es answered 429: {"error":"too many"}', retryAfterMs: 7000 });
    assert.equal(judgeBulk(batch(), enc, response(502, 'bad gateway'), 'create', what).result.status, 'errored');
    const bad = judgeBulk(batch(), enc, response(400, '{"error":{"type":"illegal_argument_exception"}}'), 'create', what).result;
    assert.deepEqual(bad, { status: 'rejected', reason: 'elasticsearch http://es: answered 400: {"error":{"type":"illegal_argument_exception"}}' });
  });

  it('an unreadable or mismatched 200 retries the whole request', () => {
    const enc = encodeBulk(batch(), opts);
    assert.match((judgeBulk(batch(), enc, response(200, '<html>'), 'create', what).result as { error: string }).error, /not JSON/);
    assert.match((judgeBulk(batch(), enc, response(200, { errors: true, items: [ok()] }), 'create', what).result as { error: string }).error, /has 1 items for 4 actions/);
  });

  it('unsendable entries are rejected beside ES answers', () => {
    const enc = encodeBulk(batch(), { ...opts, index: parseIndexTemplate('{{ labels.level }}') });
    const r = judgeBulk(batch(), enc, response(200, { errors: false, items: [ok(), ok(), ok()] }), 'create', what);
    assert.equal(r.result.status, 'partial');
    if (r.result.status !== 'partial') return;
    assert.equal(r.result.retry, undefined);
    assert.deepEqual(r.result.rejected[0]?.batch.streams[0]?.lines, ['d']);
  });
});
