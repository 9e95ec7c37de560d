import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALE_NAN, isStaleNaN } from '../../query/promql/storage.js';
import { decodeWriteRequest } from '../../server/prometheus/remote-write-decode.js';
import { decodeRecord, encodeLabels, encodeRecord, encodeWriteRequest, type SeriesSlice } from './codec.js';

const bits = (v: Float64Array, i: number) => Buffer.from(v.buffer, v.byteOffset + i * 8, 8).toString('hex');

describe('remote write codec', () => {
  it('round-trips a record and encodes a WriteRequest that Vigil\'s receiver decodes exactly', () => {
    const v1 = Float64Array.of(1.5, STALE_NAN, -0, Number.POSITIVE_INFINITY);
    const t1 = [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000, 2 ** 52];
    const rec = encodeRecord('fake', [
      { labels: encodeLabels({ job: 'node', __name__: 'up', empty: '' }), t: t1, v: v1 },
      { labels: encodeLabels({ __name__: 'old', instance: 'ä:1' }), t: [-5, 0], v: Float64Array.of(NaN, 3) },
    ]);
    const dec = decodeRecord(rec);
    assert.equal(dec.tenant, 'fake');
    assert.equal(dec.samples, 6);
    const slices: SeriesSlice[] = dec.series.map((s) => ({ s, from: 0, to: s.n }));
    const wr = decodeWriteRequest(encodeWriteRequest(slices));
    assert.equal(wr.samples, 6);
    assert.deepEqual(wr.series.map((s) => s.labels), [{ __name__: 'up', job: 'node' }, { __name__: 'old', instance: 'ä:1' }]);
    const [a, b] = wr.series;
    assert.deepEqual(a?.t, t1);
    assert.deepEqual(b?.t, [-5, 0]);
    for (let i = 0; i < 4; i++) assert.equal(bits(a!.v, i), bits(v1, i), `value ${i} byte-exact`);
    assert.ok(isStaleNaN(a!.v[1] as number));
    assert.ok(!isStaleNaN(b!.v[0] as number) && Number.isNaN(b!.v[0]));
    // Labels go out sorted by name, as Prometheus sends them.
    const sorted = decodeRecord(encodeRecord('fake', [{ labels: encodeLabels({ z: '1', a: '2', __name__: 'm' }), t: [1], v: Float64Array.of(1) }]));
    const wire = decodeWriteRequest(encodeWriteRequest([{ s: sorted.series[0]!, from: 0, to: 1 }]));
    assert.deepEqual(Object.keys(wire.series[0]!.labels), ['__name__', 'a', 'z']);
  });

  it('encodes a slice of a series (a split batch)', () => {
    const rec = decodeRecord(encodeRecord('t1', [{ labels: encodeLabels({ __name__: 'x' }), t: [1, 2, 3, 4], v: Float64Array.of(10, 20, 30, 40) }]));
    const wr = decodeWriteRequest(encodeWriteRequest([{ s: rec.series[0]!, from: 1, to: 3 }]));
    assert.deepEqual(wr.series[0]?.t, [2, 3]);
    assert.deepEqual([...wr.series[0]!.v], [20, 30]);
  });

  it('names the byte offset of a malformed record', () => {
    const rec = encodeRecord('fake', [{ labels: encodeLabels({ __name__: 'x' }), t: [1], v: Float64Array.of(1) }]);
    assert.throws(() => decodeRecord(rec.subarray(0, rec.length - 3)), /truncated in series 0 samples at byte \d+/);
    assert.throws(() => decodeRecord(Buffer.concat([rec, Buffer.from([0])])), /1 trailing bytes at byte/);
    const bad = Buffer.from(rec);
    bad[0] = 9;
    assert.throws(() => decodeRecord(bad), /unknown remote write record version 9 at byte 0/);
  });
});
