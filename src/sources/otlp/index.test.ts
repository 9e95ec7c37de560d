import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { conformance } from '../../components/conformance.js';
import { counterValue } from '../../components/testing.js';
import type { LogRecord } from '../../core/events.js';
import { startHttpSource, type RunningSource } from '../shared-http/test-helpers.js';
import def from './index.js';
import { ExportLogsServiceRequest, ExportLogsServiceResponse, RpcStatus } from './proto.js';

conformance(def, import.meta.url, { config: () => ({ ...def.example, listen: '127.0.0.1:0' }) });

const TD = join(import.meta.dirname, 'testdata');
const fixtureText = readFileSync(join(TD, 'logs.json'), 'utf8');

const running: RunningSource[] = [];
async function start(config: Parameters<typeof def.build>[0] = {}): Promise<RunningSource> {
  const r = await startHttpSource(def, config);
  running.push(r);
  return r;
}
after(async () => {
  for (const r of running) await r.stop();
});

/** The fixture as a protobufjs object: ids and bytes as Buffers instead of OTLP/JSON hex. */
function protoBody(): Buffer {
  const doc = JSON.parse(fixtureText) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }> };
  for (const rl of doc.resourceLogs) for (const sl of rl.scopeLogs) for (const lr of sl.logRecords) {
    if (typeof lr['traceId'] === 'string') lr['traceId'] = Buffer.from(lr['traceId'], 'hex');
    if (typeof lr['spanId'] === 'string') lr['spanId'] = Buffer.from(lr['spanId'], 'hex');
  }
  return Buffer.from(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(doc)).finish());
}

function expectFixture(recs: LogRecord[]): void {
  assert.equal(recs.length, 2);
  const [a, b] = recs as [LogRecord, LogRecord];
  assert.deepEqual(a.labels, { source: 'otel', service_name: 'my.service', level: 'info' });
  assert.equal(a.line, 'Example log record');
  assert.equal(a.ts, 1544712660300000);
  assert.deepEqual(a.fields, {
    process_pid: '4242', scope_name: 'my.library', scope_version: '1.0.0',
    string_attribute: 'some string', boolean_attribute: 'true', int_attribute: '10', double_attribute: '637.704',
    array_attribute: '["many","values"]', map_attribute: '{"some.map.key":"some value"}',
    trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174', severity_text: 'Information', severity_number: '10',
  });
  assert.deepEqual(b.labels, { source: 'otel', service_name: 'my.service', level: 'error' });
  assert.equal(b.line, '{"event":"login","ok":false,"big":"9007199254740993"}');
  assert.equal(b.ts, 1544712661000000);
}

describe('otlp source', () => {
  it('maps OTLP/JSON like Loki: labels from resource, level from severity, the rest as fields', async () => {
    const r = await start({ labels: { source: 'otel' } });
    const res = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: fixtureText, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), {});
    expectFixture(r.records());
  });

  it('accepts gzip protobuf and answers ExportLogsServiceResponse in protobuf', async () => {
    const r = await start({ labels: { source: 'otel' } });
    const res = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: gzipSync(protoBody()), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const answer = ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(new Uint8Array(await res.arrayBuffer())));
    assert.deepEqual(answer, {});
    expectFixture(r.records());
  });

  it('rejects bad records in partialSuccess and keeps the rest', async () => {
    const r = await start({ resource_labels: ['service.name'] });
    const body = {
      resourceLogs: [{
        scopeLogs: [{
          logRecords: [
            { timeUnixNano: 'abc', body: { stringValue: 'bad time' } },
            { timeUnixNano: '1700000000000000000', body: { stringValue: 'ok' }, severityText: 'WARNING' },
            { traceId: 'xyz', body: { stringValue: 'bad trace' } },
            { body: { intValue: 'nope' } },
          ],
        }],
      }],
    };
    const res = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
    assert.equal(j.partialSuccess.rejectedLogRecords, '3');
    assert.match(j.partialSuccess.errorMessage, /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.timeUnixNano: expected nanoseconds/);
    assert.match(j.partialSuccess.errorMessage, /logRecords\[2\]\.traceId: expected 16 bytes/);
    assert.match(j.partialSuccess.errorMessage, /logRecords\[3\]\.body\.intValue/);
    const recs = r.records();
    assert.deepEqual(recs.map((x) => [x.line, x.labels, x.ts]), [['ok', { service_name: 'unknown_service', level: 'warn' }, 1700000000000000]]);
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'invalid_record' }), 3);
  });

  it('answers whole-request errors as google.rpc.Status in the request content type', async () => {
    const r = await start();
    const bad = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: Buffer.from([0x0a, 0xff, 0x01]), headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(bad.status, 400);
    const st = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await bad.arrayBuffer()))) as { code: number; message: string };
    assert.equal(st.code, 3);
    assert.match(st.message, /malformed protobuf/);
    const badJson = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: '{"resourceLogs": [', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.match(((await badJson.json()) as { message: string }).message, /not JSON/);
    const notUtf8 = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), headers: { 'content-type': 'application/json' } });
    assert.equal(notUtf8.status, 400);
    assert.match(((await notUtf8.json()) as { message: string }).message, /not valid UTF-8 at byte offset 2/);
    assert.equal((await fetch(`${r.url}/v1/logs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
    const gz = gzipSync(fixtureText);
    const trunc = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: gz.subarray(0, 20), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    assert.equal(trunc.status, 400);
    assert.equal(r.records().length, 0);
  });

  it('503 with Retry-After when the pipeline refuses', async () => {
    const r = await start();
    r.ctx.onEmit = () => Promise.reject(new Error('sink down'));
    const res = await fetch(`${r.url}/v1/logs`, { method: 'POST', body: fixtureText, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(((await res.json()) as { code: number }).code, 14);
  });
});
