import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeChunk } from '../../src/store/metrics/gorilla.js';
import { dodHistogram, encodeAsVigil, profileBytes } from './bytes-profile.js';
import type { StoredSeries } from './vigil-metrics-dir.js';

const T0 = Date.UTC(2026, 0, 1);

/** A series cut into chunks of `per` samples, as the store would hold it. */
function stored(name: string, t: number[], v: Float64Array, per = 120): StoredSeries {
  const chunks = [];
  for (let i = 0; i < t.length; i += per) {
    const j = Math.min(t.length, i + per);
    const buf = encodeChunk(t.slice(i, j), v.slice(i, j));
    chunks.push({ bytes: buf.length, count: j - i, encoding: buf[0] as number, minT: t[i] as number, maxT: t[j - 1] as number });
  }
  return { tenant: 'x', labels: { __name__: name, job: 'node' }, t, v, chunks };
}

const regular = (n: number, step = 1000) => Array.from({ length: n }, (_, i) => T0 + i * step);

describe('profileBytes', () => {
  it('finds no jitter cost on exact intervals and classifies series kinds', () => {
    const n = 240;
    const p = profileBytes(
      [
        stored('const', regular(n), new Float64Array(n).fill(7)),
        stored('counter_total', regular(n), Float64Array.from({ length: n }, (_, i) => i / 100)),
        stored('gauge', regular(n), Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3)),
      ],
      1000,
    );
    assert.equal(p.series, 3);
    assert.equal(p.samples, 3 * n);
    assert.equal(p.chunks, 6);
    assert.equal(p.chunkBytes - p.bytesRegularTimestamps, 0);
    assert.equal(p.dod.zero, 3 * 2 * 118);
    assert.equal(p.dod.within8 + p.dod.within512 + p.dod.larger, 0);
    assert.deepEqual(p.byKind.map((k) => k.kind).sort(), ['constant', 'monotonic', 'varying']);
    const kind = (k: string) => p.byKind.find((x) => x.kind === k);
    assert.ok((kind('varying')?.bytes ?? 0) > (kind('monotonic')?.bytes ?? 0));
    assert.ok((kind('monotonic')?.bytes ?? 0) > (kind('constant')?.bytes ?? Infinity));
    assert.equal(p.byMetric[0]?.name, 'gauge');
    // The 120-sample what-if re-cuts exactly as stored.
    assert.equal(p.chunkSizeWhatIf[0]?.bytes, p.chunkBytes);
    assert.ok((p.chunkSizeWhatIf[2]?.bytes ?? Infinity) < p.chunkBytes, 'one chunk per series saves a header and first sample');
    assert.ok(p.bytesRegularConstant < p.bytesRegularTimestamps);
    assert.ok(p.oneSampleChunkBytes >= 19, `one-sample chunk ${p.oneSampleChunkBytes} B`);
    assert.ok(p.byEncoding.some((e) => e.encoding.startsWith('decimal')));
  });

  it('prices scrape jitter: a few ms off the grid costs bytes', () => {
    const n = 240;
    const jittered = Array.from({ length: n }, (_, i) => T0 + i * 1000 + ((i * 7) % 5));
    const v = new Float64Array(n).fill(1);
    const p = profileBytes([stored('up', jittered, v)], 1000);
    assert.ok(p.chunkBytes - p.bytesRegularTimestamps > 100, `jitter cost ${p.chunkBytes - p.bytesRegularTimestamps}`);
    // Offsets 0,2,4,1,3 repeating: four in five delta-of-deltas are ±5 ms, one is 0.
    assert.equal(p.dod.within8 + p.dod.zero, 2 * 118);
    assert.ok(p.dod.within8 > 180, JSON.stringify(p.dod));
  });

  it('estimates a longer interval from every k-th sample, only when enough samples remain', () => {
    const n = 240;
    const v = Float64Array.from({ length: n }, (_, i) => 1000 + i * 0.37);
    const p = profileBytes([stored('c_total', regular(n), v)], 1000, 15);
    assert.ok(p.decimated);
    assert.equal(p.decimated.k, 15);
    assert.equal(p.decimated.intervalMs, 15_000);
    assert.equal(p.decimated.samples, 15);
    assert.ok(p.decimated.bodyBytesPerSample > 0 && p.decimated.fullBodyBytesPerSample > 0);
    assert.equal(profileBytes([stored('c_total', regular(60), v.slice(0, 60))], 1000, 15).decimated, undefined);
  });

  it('ignores series without chunks', () => {
    const p = profileBytes([{ tenant: 'x', labels: { __name__: 'gone' }, t: [], v: new Float64Array(0), chunks: [] }], 1000);
    assert.equal(p.series, 0);
    assert.equal(p.samples, 0);
  });
});

describe('encodeAsVigil and dodHistogram', () => {
  it('cuts runs into chunks of the given length and sums encodeChunk sizes', () => {
    const t = regular(250);
    const v = Float64Array.from(t, (_, i) => i);
    const r = encodeAsVigil([{ t, v }], 120);
    assert.equal(r.chunks, 3);
    const want = [0, 120, 240].reduce((a, i) => a + encodeChunk(t.slice(i, i + 120), v.slice(i, i + 120)).length, 0);
    assert.equal(r.bytes, want);
    assert.equal(encodeAsVigil([{ t, v }], Infinity).chunks, 1);
  });

  it('sorts delta-of-deltas by size over whole series', () => {
    const h = dodHistogram([{ t: [0, 1000, 2000, 3005, 4000, 5600, 6200] }]);
    // deltas 1000, 1000, 1005, 995, 1600, 600 → dods 0, 5, -10, 605, -1000
    assert.deepEqual(h, { zero: 1, within8: 1, within512: 1, larger: 2 });
  });
});
