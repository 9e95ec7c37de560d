import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { nowMicros } from '../../core/time.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { metricValue, testServer, type TestServer } from '../testing/harness.js';
import { PushRequestType } from './push-proto.js';
import { snappyCompress } from './snappy-codec.js';

const nowNs = (offsetSec = 0): string => `${(nowMicros() + offsetSec * 1_000_000) * 1000}`;

function pushJson(t: TestServer, body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

async function protoBody(streams: Array<{ labels: string; entries: Array<{ seconds: number; nanos: number; line: string; sm?: Record<string, string> }> }>): Promise<Buffer> {
  const msg = PushRequestType.fromObject({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: e.seconds, nanos: e.nanos },
        line: e.line,
        structuredMetadata: Object.entries(e.sm ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return snappyCompress(Buffer.from(PushRequestType.encode(msg).finish()));
}

describe('POST /loki/api/v1/push', () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
  });
  after(() => t.app.close());

  it('stores a JSON push with structured metadata and answers 204', async () => {
    const ns = nowNs();
    const res = await pushJson(t, { streams: [{ stream: { app: 'api', level: 'info' }, values: [[ns, 'hello'], [ns, 'with meta', { trace_id: 'abc' }]] }] });
    assert.equal(res.statusCode, 204, res.body);
    const rows = t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'api');
    assert.deepEqual(rows.map((r) => r.line), ['hello', 'with meta']);
    assert.equal(rows[0]?.ts, Number(ns.slice(0, -3)));
    assert.deepEqual(rows[1]?.fields, { trace_id: 'abc' });
    assert.equal(rows[0]?.fields, undefined);
  });

  it('accepts gzip-encoded JSON', async () => {
    const body = gzipSync(JSON.stringify({ streams: [{ stream: { app: 'gz' }, values: [[nowNs(), 'zipped']] }] }));
    const res = await pushJson(t, body, { 'content-encoding': 'gzip' });
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual(t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'gz').map((r) => r.line), ['zipped']);
  });

  it('accepts snappy protobuf with escaped label text and structured metadata', async () => {
    const sec = Math.floor(Date.now() / 1000);
    const body = await protoBody([{ labels: '{app="proto", path="C:\\\\dir \\"x\\""}', entries: [{ seconds: sec, nanos: 123_456_789, line: 'pb line', sm: { user: 'u1' } }] }]);
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload: body });
    assert.equal(res.statusCode, 204, res.body);
    const row = t.store.dump(DEFAULT_TENANT).find((r) => r.labels['app'] === 'proto');
    assert.deepEqual(row?.labels, { app: 'proto', path: 'C:\\dir "x"' });
    assert.equal(row?.ts, sec * 1_000_000 + 123_456);
    assert.equal(row?.line, 'pb line');
    assert.deepEqual(row?.fields, { user: 'u1' });
  });

  it('replaces invalid UTF-8 in lines with U+FFFD (JSON and protobuf)', async () => {
    const json = Buffer.concat([Buffer.from(`{"streams":[{"stream":{"app":"utf"},"values":[["${nowNs()}","a`), Buffer.from([0xff, 0xfe]), Buffer.from('b"]]}]}')]);
    assert.equal((await pushJson(t, json)).statusCode, 204);
    const pb = PushRequestType.encode(PushRequestType.fromObject({ streams: [{ labels: '{app="utf2"}', entries: [{ timestamp: { seconds: Math.floor(Date.now() / 1000) }, line: 'x' }] }] })).finish();
    // Patch the one-byte line "x" into an invalid UTF-8 byte.
    const raw = Buffer.from(pb);
    raw[raw.lastIndexOf(0x78)] = 0xc3;
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload: await snappyCompress(raw) });
    assert.equal(res.statusCode, 204, res.body);
    const rows = t.store.dump(DEFAULT_TENANT);
    assert.equal(rows.find((r) => r.labels['app'] === 'utf')?.line, 'a\uFFFD\uFFFDb');
    assert.equal(rows.find((r) => r.labels['app'] === 'utf2')?.line, '\uFFFD');
  });

  it('answers 204 only after the append is durable', async () => {
    let open!: () => void;
    t.store.gate = new Promise<void>((r) => {
      open = r;
    });
    let answered = false;
    const pending = pushJson(t, { streams: [{ stream: { app: 'slow' }, values: [[nowNs(), 'wait']] }] }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, 'answered before the appender resolved');
    open();
    t.store.gate = undefined;
    assert.equal((await pending).statusCode, 204);
  });

  it('refuses malformed JSON with the byte offset', async () => {
    const res = await pushJson(t, '{"streams":[{"stream":{"a":"é"},}]}');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.body, 'malformed JSON at byte offset 33: Expected double-quoted property name\n');
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'malformed' }), 1);
  });

  it('refuses a body without a streams array', async () => {
    const res = await pushJson(t, { stream: [] });
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, 'streams: expected an array, found a undefined\n');
  });

  it('stores the valid streams of a partly bad request and lists every refusal', async () => {
    const good = nowNs();
    const res = await pushJson(t, {
      streams: [
        { stream: { app: 'partial' }, values: [[good, 'kept 1'], ['abc', 'bad ts'], [good, 42], [good, 'kept 2', { n: 1 }]] },
        { stream: { '1bad': 'x' }, values: [[good, 'bad label']] },
        { stream: {}, values: [[good, 'no labels']] },
        { stream: { app: 'partial2' }, values: [[nowNs(3600), 'future'], ['1000000000000000000', 'old'], [good, 'kept 3']] },
        { stream: { app: 5 }, values: [[good, 'x']] },
        { stream: { app: 'shape' }, values: [[good]] },
      ],
    });
    assert.equal(res.statusCode, 400);
    const lines = res.body.trimEnd().split('\n');
    assert.equal(lines[0], 'streams[0].values[1][0]: timestamp "abc" is not an integer of nanoseconds');
    assert.equal(lines[1], 'streams[0].values[2][1]: line must be a string, found a number');
    assert.equal(lines[2], 'streams[0].values[3][2].n: structured metadata value must be a string, found a number');
    assert.equal(lines[3], 'streams[1]: invalid label name "1bad" in stream {1bad="x"}: names match [a-zA-Z_][a-zA-Z0-9_]*');
    assert.equal(lines[4], 'streams[2]: at least one label pair is required per stream');
    assert.match(lines[5] ?? '', /^streams\[3\]: entry 0 for stream \{app="partial2"\} has timestamp too new: \S+Z, the newest accepted is \S+Z$/);
    assert.match(lines[6] ?? '', /^streams\[3\]: entry 1 for stream \{app="partial2"\} has timestamp too old: 2001-09-09T01:46:40.000Z, the oldest accepted is \S+Z$/);
    assert.equal(lines[7], 'streams[4].stream.app: label value must be a string, found a number');
    assert.equal(lines[8], 'streams[5].values[0]: expected [timestamp, line] or [timestamp, line, {metadata}], found an array of 1');
    assert.equal(lines.length, 9);
    const rows = t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app']?.startsWith('partial'));
    assert.deepEqual(rows.map((r) => r.line).sort(), ['kept 1', 'kept 3']);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'invalid_entry' }), 4);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'invalid_labels' }), 3);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'too_far_future' }), 1);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'too_far_past' }), 1);
  });

  it('refuses protobuf streams with bad label text, keeps the others', async () => {
    const sec = Math.floor(Date.now() / 1000);
    const body = await protoBody([
      { labels: '{app="ok"', entries: [{ seconds: sec, nanos: 0, line: 'lost' }] },
      { labels: '{app=~"re"}', entries: [{ seconds: sec, nanos: 0, line: 'lost' }] },
      { labels: '{app="pbkeep"}', entries: [{ seconds: sec, nanos: 0, line: 'kept' }] },
    ]);
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload: body });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.body,
      'streams[0].labels: "{app=\\"ok\\"": parse error at col 10: expected "," or "}", found end of input\n' +
        'streams[1].labels: "{app=~\\"re\\"}": parse error at col 1: label app uses "=~"; a stream\'s labels use "="\n',
    );
    assert.deepEqual(t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'pbkeep').map((r) => r.line), ['kept']);
  });

  it('takes a body without Content-Type as snappy protobuf (as Loki does)', async () => {
    const body = await protoBody([{ labels: '{app="noctype"}', entries: [{ seconds: Math.floor(Date.now() / 1000), nanos: 0, line: 'bare' }] }]);
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', payload: body });
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual(t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'noctype').map((r) => r.line), ['bare']);
  });

  it('refuses an empty JSON body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, 'malformed JSON at byte offset 0: unexpected end of input\n');
  });

  it('refuses bad protobuf and bad snappy', async () => {
    const notSnappy = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x05, 0xff, 0xff]) });
    assert.equal(notSnappy.statusCode, 400);
    assert.match(notSnappy.body, /^malformed snappy block: /);
    const garbage = await snappyCompress(Buffer.from([0x0a, 0xff, 0x01]));
    const badPb = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, payload: garbage });
    assert.equal(badPb.statusCode, 400);
    assert.match(badPb.body, /^malformed protobuf PushRequest: /);
  });

  it('refuses an oversize body with 413, before and after decompression', async () => {
    const big = JSON.stringify({ streams: [{ stream: { app: 'big' }, values: [[nowNs(), 'x'.repeat(70 * 1024)]] }] });
    const res = await pushJson(t, big);
    assert.equal(res.statusCode, 413);
    assert.match(res.body, /larger than the limit/);
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    const res2 = await pushJson(t, bomb, { 'content-encoding': 'gzip' });
    assert.equal(res2.statusCode, 413);
    assert.equal(res2.body, 'decompressed body is larger than the limit of 65536 bytes\n');
    assert.ok((await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'too_large' })) >= 2);
  });

  it('refuses too many streams or entries as a whole', async () => {
    const streams = Array.from({ length: 11 }, (_, i) => ({ stream: { app: `s${i}` }, values: [[nowNs(), 'x']] }));
    const res = await pushJson(t, { streams });
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, 'too many streams in one push: 11, the limit is 10\n');
    const values = Array.from({ length: 101 }, () => [nowNs(), 'x']);
    const res2 = await pushJson(t, { streams: [{ stream: { app: 'many' }, values }] });
    assert.equal(res2.body, 'too many entries in one push: 101, the limit is 100\n');
    assert.equal(t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'many' || r.labels['app'] === 's0').length, 0);
  });

  it('refuses unsupported content types and encodings with 415', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    assert.equal(res.statusCode, 415);
    assert.match(res.body, /Content-Type "text\/plain" is not supported/);
    const res2 = await pushJson(t, '{}', { 'content-encoding': 'br' });
    assert.equal(res2.statusCode, 415);
  });

  it('reports store refusals per stream and answers 503 when nothing was stored', async () => {
    t.store.maxLabelsPerStream = 2;
    const res = await pushJson(t, { streams: [{ stream: { a: '1', b: '2', c: '3' }, values: [[nowNs(), 'x']] }, { stream: { app: 'fine' }, values: [[nowNs(), 'y']] }] });
    t.store.maxLabelsPerStream = undefined;
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, 'streams[0]: stream {a="1", b="2", c="3"}: 3 labels, the limit is 2\n');
    assert.equal(t.store.dump(DEFAULT_TENANT).filter((r) => r.labels['app'] === 'fine').length, 1);
    t.store.failWith = new Error('disk full');
    const res2 = await pushJson(t, { streams: [{ stream: { app: 'x' }, values: [[nowNs(), 'y']] }] });
    t.store.failWith = undefined;
    assert.equal(res2.statusCode, 503);
    assert.equal(res2.body, 'store unavailable, retry later: disk full\n');
  });
});

describe('push tenancy', () => {
  it('uses X-Scope-OrgID only when multi-tenant', async () => {
    const multi = await testServer({ multiTenant: true });
    const single = await testServer({ multiTenant: false });
    const body = { streams: [{ stream: { app: 'x' }, values: [[nowNs(), 'y']] }] };
    assert.equal((await pushJson(multi, body, { 'x-scope-orgid': 'team-a' })).statusCode, 204);
    assert.equal((await pushJson(multi, body)).statusCode, 204);
    assert.equal((await pushJson(single, body, { 'x-scope-orgid': 'team-a' })).statusCode, 204);
    assert.deepEqual(multi.store.appendedTenants, ['team-a', DEFAULT_TENANT]);
    assert.deepEqual(single.store.appendedTenants, [DEFAULT_TENANT]);
    const bad = await pushJson(multi, body, { 'x-scope-orgid': 'a|b' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /contains unsupported character '\|'/);
    await multi.app.close();
    await single.app.close();
  });
});
