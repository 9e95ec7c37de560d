import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import snappy from 'snappy';
import { decodeWriteRequest } from '../../src/server/prometheus/remote-write-decode.js';
import { hostOffsetMs, makeSeries, Rng, SCRAPE_MS, stepSeries } from './node-series.js';
import { compressedWriteRequest, encodeLabels, encodeWriteRequest } from './remote-write-encode.js';

describe('bench remote write encoder', () => {
  it('round-trips through Vigil\'s WriteRequest decoder (labels, ms timestamps, exact float bits)', () => {
    const series = [
      { labels: encodeLabels([['__name__', 'a_total'], ['instance', 'h:9100'], ['job', 'node']]), t: [1_700_000_000_123, 1_700_000_015_123], v: [1e15 + 0.5, Number.NaN], n: 2 },
      { labels: encodeLabels([['__name__', 'ünïcode'], ['le', '+Inf']]), t: [0, 1, 2], v: new Float64Array([-0, 5e-324, 1.7976931348623157e308]), n: 2 },
    ];
    const d = decodeWriteRequest(encodeWriteRequest(series));
    assert.equal(d.series.length, 2);
    assert.equal(d.samples, 4);
    assert.deepEqual(d.series[0]?.labels, { __name__: 'a_total', instance: 'h:9100', job: 'node' });
    assert.deepEqual(d.series[0]?.t, [1_700_000_000_123, 1_700_000_015_123]);
    assert.equal(d.series[0]?.v[0], 1e15 + 0.5);
    assert.ok(Number.isNaN(d.series[0]?.v[1]));
    assert.deepEqual(d.series[1]?.labels, { __name__: 'ünïcode', le: '+Inf' });
    assert.deepEqual(d.series[1]?.t, [0, 1]);
    assert.ok(Object.is(d.series[1]?.v[0], -0));
    assert.equal(d.series[1]?.v[1], 5e-324);
  });

  it('compresses with snappy block format', () => {
    const body = compressedWriteRequest([{ labels: encodeLabels([['__name__', 'x']]), t: [5], v: [1], n: 1 }]);
    assert.equal(decodeWriteRequest(snappy.uncompressSync(body) as Buffer).samples, 1);
  });
});

describe('node-like series generator', () => {
  it('is deterministic, 52 series per host with unique label sets, monotonic counters and buckets', () => {
    const a = makeSeries(3);
    const b = makeSeries(3);
    assert.equal(a.length, 156);
    assert.deepEqual(a.map((s) => s.labels), b.map((s) => s.labels));
    assert.equal(new Set(a.map((s) => JSON.stringify(s.labels))).size, a.length);
    const r = new Rng(1);
    const prev = a.map((s) => s.value);
    for (let k = 0; k < 200; k++) {
      const draw = r.next();
      a.forEach((s, i) => {
        const v = stepSeries(s, r, draw);
        if (s.kind === 'cpu' || s.kind.endsWith('counter') || s.kind === 'hist_bucket') assert.ok(v >= (prev[i] as number), `${JSON.stringify(s.labels)} decreased`);
        prev[i] = v;
      });
      // Within a host, each bucket holds at most the next one's count.
      const buckets = a.filter((s) => s.host === 0 && s.labels[0]?.[1] === 'http_request_duration_seconds_bucket');
      for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i - 1] as { value: number }).value <= (buckets[i] as { value: number }).value);
    }
  });
  it('never puts a scrape on a 15 s (hence minute) boundary', () => {
    for (let h = 0; h < 1000; h++) {
      const o = hostOffsetMs(h);
      assert.ok(o > 0 && o < SCRAPE_MS && Number.isInteger(o));
    }
  });
});
