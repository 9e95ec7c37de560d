import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchToRecords } from '../../core/events.js';
import { parseRfc3339 } from '../../core/time.js';
import { HttpSourceError } from '../shared-http/body.js';
import { bulkResponse, parseBulk, type BulkOptions } from './bulk.js';

const NOW = 1_700_000_000_000_000;
const opts = (o: Partial<BulkOptions> = {}): BulkOptions => ({ defaultIndex: undefined, labels: {}, labelFields: [], now: NOW, seqNo: 0, ...o });
const body = (...lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''));

describe('parseBulk', () => {
  it('stores index and create documents compacted, with their timestamps and index label', () => {
    const r = parseBulk(body(
      '{"index":{"_index":"a","_id":"x1"}}',
      '{ "@timestamp" : "2024-01-02T03:04:05.123456+01:00", "msg": "a b",  "n": 12345678901234567890 }',
      '',
      '{"create":{"_index":"b"}}',
      '{"timestamp":1700000000123,"msg":"two"}',
      '{"index":{"_index":"a"}}',
      '{"time":"1700000000456","msg":"three"}',
      '{"index":{"_index":"a"}}',
      '{"msg":"no time"}',
    ), opts());
    assert.equal(r.accepted, 4);
    const recs = batchToRecords(r.batch);
    assert.deepEqual(recs.map((x) => x.line), [
      '{"@timestamp":"2024-01-02T03:04:05.123456+01:00","msg":"a b","n":12345678901234567890}',
      '{"time":"1700000000456","msg":"three"}',
      '{"msg":"no time"}',
      '{"timestamp":1700000000123,"msg":"two"}',
    ]);
    assert.deepEqual(recs.map((x) => x.ts), [parseRfc3339('2024-01-02T02:04:05.123456Z'), 1700000000456000, NOW, 1700000000123000]);
    assert.deepEqual(recs.map((x) => x.labels['index']), ['a', 'a', 'a', 'b']);
    assert.deepEqual(r.items.map((i) => [i.action, i.index, i.status, i.seqNo]), [['index', 'a', 201, 0], ['create', 'b', 201, 1], ['index', 'a', 201, 2], ['index', 'a', 201, 3]]);
    assert.equal(r.items[0]?.id, 'x1');
    assert.match(r.items[1]?.id ?? '', /^[A-Za-z0-9_-]{20}$/);
  });

  it('answers per-item errors for non-object sources, update, delete and a missing index without losing the rest', () => {
    const r = parseBulk(body(
      '{"index":{"_index":"a"}}',
      '"just a string"',
      '{"delete":{"_index":"a","_id":"1"}}',
      '{"update":{"_index":"a","_id":"2"}}',
      '{"doc":{"x":1}}',
      '{"index":{}}',
      '{"x":1}',
      '{"index":{"_index":"a"}}',
      '{"bad json": }',
      '{"index":{"_index":"a"}}',
      '{"ok":true}',
    ), opts());
    assert.equal(r.accepted, 1);
    assert.deepEqual(r.items.map((i) => [i.action, i.status, i.error?.type]), [
      ['index', 400, 'mapper_parsing_exception'],
      ['delete', 400, 'illegal_argument_exception'],
      ['update', 400, 'illegal_argument_exception'],
      ['index', 400, 'action_request_validation_exception'],
      ['index', 400, 'mapper_parsing_exception'],
      ['index', 201, undefined],
    ]);
    assert.match(r.items[0]?.error?.reason ?? '', /line 2 is not a JSON object but a string/);
    assert.match(r.items[4]?.error?.reason ?? '', /line 9 is not JSON: Unexpected token '}'/);
    const resp = JSON.parse(bulkResponse(r.items, 3)) as { took: number; errors: boolean; items: Array<Record<string, { status: number; error?: { type: string } }>> };
    assert.equal(resp.errors, true);
    assert.equal(resp.took, 3);
    assert.equal(resp.items[0]?.['index']?.error?.type, 'mapper_parsing_exception');
    assert.equal(resp.items[5]?.['index']?.status, 201);
  });

  it('uses the index from the URL and promotes label_fields (flat or nested)', () => {
    const r = parseBulk(body(
      '{"index":{}}',
      '{"host":{"name":"web1"},"log.level":"warn"}',
      '{"index":{}}',
      '{"host.name":"web2","log":{"level":"info"}}',
    ), opts({ defaultIndex: 'logs-x', labelFields: ['host.name', 'log.level'], labels: { env: 'prod' } }));
    const recs = batchToRecords(r.batch);
    assert.deepEqual(recs.map((x) => x.labels), [
      { env: 'prod', host_name: 'web1', log_level: 'warn', index: 'logs-x' },
      { env: 'prod', host_name: 'web2', log_level: 'info', index: 'logs-x' },
    ]);
  });

  it('refuses the whole request for a malformed action line, naming it', () => {
    assert.throws(() => parseBulk(body('{"index":{"_index":"a"}}', '{}', 'nope'), opts()), (e: unknown) =>
      e instanceof HttpSourceError && e.status === 400 && /line \[3\]/.test(e.message));
    assert.throws(() => parseBulk(body('{"frobnicate":{}}', '{}'), opts()), /line \[1\], expected one of \[index, create, update, delete\]/);
    assert.throws(() => parseBulk(Buffer.from('{"index":{"_index":"a"}}'), opts()), /missing its source line/);
  });

  it('reports invalid UTF-8 in a source line per item with its byte offset', () => {
    const b = Buffer.concat([Buffer.from('{"index":{"_index":"a"}}\n{"m":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n{"index":{"_index":"a"}}\n{"m":"ok"}\n')]);
    const r = parseBulk(b, opts());
    assert.equal(r.accepted, 1);
    assert.match(r.items[0]?.error?.reason ?? '', /line 2 is not valid UTF-8 at byte offset 31/);
  });

  it('accepts CRLF line ends and a last line without newline', () => {
    const r = parseBulk(Buffer.from('{"index":{"_index":"a"}}\r\n{"m":1}\r\n{"index":{"_index":"a"}}\r\n{"m":2}'), opts());
    assert.deepEqual(batchToRecords(r.batch).map((x) => x.line), ['{"m":1}', '{"m":2}']);
  });
});
