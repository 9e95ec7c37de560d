import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStaleNaN } from '../../query/promql/index.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { snappyCompress, snappyUncompress } from '../loki/snappy-codec.js';
import { metricValue } from '../testing/harness.js';
import { decodeWriteRequest } from './remote-write-decode.js';
import { encodeWriteRequest, encodeWriteRequestRaw, promTestServer, STALE_BITS, type PromTestServer } from './testing.js';

const TESTDATA = join(import.meta.dirname, 'testdata');

interface Decoded {
  timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value?: number; timestamp: number }> }>;
}
const capture = (n: number) => ({
  body: readFileSync(join(TESTDATA, `prom-remote-write-${n}.body.bin`)),
  decoded: JSON.parse(readFileSync(join(TESTDATA, `prom-remote-write-${n}.decoded.json`), 'utf8')) as Decoded,
});
/** The headers Prometheus 2.42 sent with the captured bodies. */
const PROM_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'Prometheus/2.42.0+ds',
};

describe('decodeWriteRequest', () => {
  for (const n of [1, 2, 3]) {
    it(`decodes captured body ${n} exactly as decoded.json shows it`, async () => {
      const c = capture(n);
      const d = decodeWriteRequest(await snappyUncompress(c.body, 1 << 20));
      assert.equal(d.series.length, c.decoded.timeseries.length);
      assert.deepEqual(d.badSeries, []);
      c.decoded.timeseries.forEach((ts, i) => {
        const got = d.series[i];
        assert.ok(got);
        assert.deepEqual(got.labels, Object.fromEntries(ts.labels.map((l) => [l.name, l.value])));
        assert.deepEqual(got.t, ts.samples.map((s) => s.timestamp));
        assert.deepEqual([...got.v], ts.samples.map((s) => s.value ?? 0));
      });
    });
  }

  it('keeps the stale marker bit pattern and negative timestamps', () => {
    const raw = encodeWriteRequestRaw([{ labels: { __name__: 'x' }, samples: [{ bits: STALE_BITS, timestamp: -5 }, { value: 1.5, timestamp: 7 }] }]);
    const d = decodeWriteRequest(raw);
    const v = d.series[0]?.v;
    assert.ok(v && isStaleNaN(v[0] as number));
    assert.equal(v[1], 1.5);
    assert.deepEqual(d.series[0]?.t, [-5, 7]);
  });

  it('refuses truncated and mistyped bodies naming the series and byte', () => {
    const raw = encodeWriteRequestRaw([{ labels: { __name__: 'a' }, samples: [{ value: 1, timestamp: 1 }] }, { labels: { __name__: 'b' }, samples: [{ value: 2, timestamp: 2 }] }]);
    assert.throws(() => decodeWriteRequest(raw.subarray(0, raw.length - 3)), /malformed remote write request: timeseries\[1\] at byte \d+: /);
    assert.throws(() => decodeWriteRequest(Buffer.from([0x0d, 1, 2, 3, 4])), /malformed remote write request: WriteRequest at byte 0: WriteRequest.timeseries has wire type 5, expected 2/);
  });

  it('reports duplicate label names per series', () => {
    const d = decodeWriteRequest(encodeWriteRequestRaw([{ labels: [['__name__', 'a'], ['x', '1'], ['x', '2']], samples: [{ value: 1, timestamp: 1 }] }]));
    assert.deepEqual(d.badSeries, [{ index: 0, reason: 'duplicate label name: "x"' }]);
  });
});

describe('POST /api/v1/write', () => {
  let t: PromTestServer;
  before(async () => {
    t = await promTestServer();
  });
  after(async () => {
    await t.close();
  });

  const write = (payload: Buffer, headers: Record<string, string> = PROM_HEADERS) => t.app.inject({ method: 'POST', url: '/api/v1/write', headers, payload });

  it('stores the captured Prometheus bodies (204) and every sample is queryable', async () => {
    for (const n of [1, 2, 3]) {
      const res = await write(capture(n).body);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
    }
    for (const n of [1, 2, 3]) {
      const c = capture(n).decoded;
      const ts = c.timeseries[0]?.samples[0]?.timestamp as number;
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/query?query=${encodeURIComponent('{job="node"}')}&time=${ts / 1000}` });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      assert.equal(body.data.resultType, 'vector');
      assert.equal(body.data.result.length, c.timeseries.length);
      for (const s of c.timeseries) {
        const labels = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
        const got = body.data.result.find((r) => JSON.stringify(r.metric) === JSON.stringify(Object.fromEntries(Object.entries(labels).sort())));
        assert.ok(got, `series ${JSON.stringify(labels)} missing after capture ${n}`);
        assert.deepEqual(got.value, [ts / 1000, String(s.samples[0]?.value ?? 0)]);
      }
    }
  });

  it('keeps stale markers: a series ends at its marker', async () => {
    const body = await encodeWriteRequest([{ labels: { __name__: 'stale_test', job: 'x' }, samples: [{ value: 3, timestamp: 1_000_000 }, { bits: STALE_BITS, timestamp: 1_010_000 }] }]);
    assert.equal((await write(body)).statusCode, 204);
    const at = async (sec: number) => (await t.app.inject({ url: `/api/v1/query?query=stale_test&time=${sec}` })).json() as { data: { result: unknown[] } };
    assert.equal((await at(1005)).data.result.length, 1);
    assert.equal((await at(1015)).data.result.length, 0, 'the stale marker hides the series within the lookback');
    const raw = await t.metricsStore.querier(DEFAULT_TENANT).select([{ name: '__name__', op: '=', value: 'stale_test' }], 0, 2_000_000);
    const v = raw[0]?.v;
    assert.ok(v && isStaleNaN(v[1] as number), 'the store holds the exact marker');
  });

  it('answers out-of-order and duplicate samples with 400 and Prometheus texts, keeping the rest', async () => {
    const first = await encodeWriteRequest([{ labels: { __name__: 'ooo', job: 'x' }, samples: [{ value: 1, timestamp: 2_000_000 }] }]);
    assert.equal((await write(first)).statusCode, 204);
    const before = await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'remote_write_out_of_order' });
    const late = await encodeWriteRequest([
      { labels: { __name__: 'ooo', job: 'x' }, samples: [{ value: 5, timestamp: 1_000_000 }] },
      { labels: { __name__: 'ooo', job: 'y' }, samples: [{ value: 9, timestamp: 1_000_000 }] },
    ]);
    const res = await write(late);
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.match(res.body, /^out of order sample \(timeseries\[0\] \{"__name__":"ooo","job":"x"\}: 1 samples refused\)\n$/);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'remote_write_out_of_order' }), before + 1);
    const y = (await t.app.inject({ url: '/api/v1/query?query=ooo{job="y"}&time=1000' })).json() as { data: { result: Array<{ value: [number, string] }> } };
    assert.deepEqual(y.data.result[0]?.value, [1000, '9']);

    const dupSame = await encodeWriteRequest([{ labels: { __name__: 'ooo', job: 'x' }, samples: [{ value: 1, timestamp: 2_000_000 }] }]);
    assert.equal((await write(dupSame)).statusCode, 204, 'a resent identical sample is accepted');
    const dupOther = await encodeWriteRequest([{ labels: { __name__: 'ooo', job: 'x' }, samples: [{ value: 2, timestamp: 2_000_000 }] }]);
    const d = await write(dupOther);
    assert.equal(d.statusCode, 400);
    assert.match(d.body, /^duplicate sample for timestamp/);
  });

  it('refuses malformed bodies with 400 naming the problem, counted', async () => {
    const before = await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'remote_write_malformed' });
    const notSnappy = await write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(notSnappy.statusCode, 400);
    assert.match(notSnappy.body, /malformed snappy block/);
    const badProto = await write(await snappyCompress(Buffer.from([0x0a, 0x50, 0x01])));
    assert.equal(badProto.statusCode, 400);
    assert.match(badProto.body, /^malformed remote write request: timeseries\[0\] at byte 0: length runs past the end of the body\n$/);
    assert.equal(await metricValue(t.registry, 'vigil_http_push_rejected_total', { reason: 'remote_write_malformed' }), before + 2);
  });

  it('refuses series without a metric name or with duplicate labels (400), unsupported encodings (415)', async () => {
    const noName = await write(await encodeWriteRequest([{ labels: { job: 'x' }, samples: [{ value: 1, timestamp: 1 }] }]));
    assert.equal(noName.statusCode, 400);
    assert.match(noName.body, /missing metric name/);
    const dupe = await write(await encodeWriteRequest([{ labels: [['__name__', 'a'], ['x', '1'], ['x', '2']], samples: [{ value: 1, timestamp: 1 }] }]));
    assert.equal(dupe.statusCode, 400);
    assert.match(dupe.body, /^timeseries\[0\]: duplicate label name: "x" \(1 samples refused\)/);
    const gz = await write(capture(1).body, { ...PROM_HEADERS, 'content-encoding': 'gzip' });
    assert.equal(gz.statusCode, 415);
    assert.match(gz.body, /unsupported compression: gzip/);
    const v2 = await write(capture(1).body, { ...PROM_HEADERS, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' });
    assert.equal(v2.statusCode, 415);
    assert.equal(v2.body, 'io.prometheus.write.v2.Request protobuf message is not accepted by this server; accepted [prometheus.WriteRequest]\n');
    const v1 = await write(capture(1).body, { ...PROM_HEADERS, 'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest' });
    assert.equal(v1.statusCode, 204, 'an explicit 1.0 message type is accepted');
  });

  it('applies auth like every route', async () => {
    const s = await promTestServer({ auth: { tokens: ['secret'], publicMetrics: false } });
    try {
      const res = await s.app.inject({ method: 'POST', url: '/api/v1/write', headers: PROM_HEADERS, payload: capture(1).body });
      assert.equal(res.statusCode, 401);
      const ok = await s.app.inject({ method: 'POST', url: '/api/v1/write', headers: { ...PROM_HEADERS, authorization: 'Bearer secret' }, payload: capture(1).body });
      assert.equal(ok.statusCode, 204);
    } finally {
      await s.close();
    }
  });
});
