import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STALE_NAN } from '../../query/promql/storage.js';
import { chunkCount, decodeChunk, encodeChunk } from './gorilla.js';

function bits(v: Float64Array): string[] {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) out.push(dv.getBigUint64(i * 8, true).toString(16));
  return out;
}

function roundTrip(t: number[], vals: number[]): void {
  const v = Float64Array.from(vals);
  const enc = encodeChunk(t, v);
  assert.equal(chunkCount(enc), t.length);
  const d = decodeChunk(enc);
  assert.deepEqual(Array.from(d.t), t);
  assert.deepEqual(bits(d.v), bits(v));
}

test('round trip of special values bit-exactly: NaN, ±Inf, StaleNaN, -0', () => {
  const t = [0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000, 105_000, 120_000];
  roundTrip(t, [1, NaN, Infinity, -Infinity, STALE_NAN, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE]);
  const d = decodeChunk(encodeChunk([1, 2], Float64Array.from([STALE_NAN, -0])));
  assert.ok(Object.is(d.v[1], -0));
});

test('round trip with large gaps, negative timestamps, jitter and every dod bucket', () => {
  const t = [-5_000_000_000_000, -10, 0, 1, 8_000, 8_001, 200_000, 1_200_000, 1e12, 1e12 + 1, 4e15, 4e15 + 15_000, 4e15 + 30_000];
  const v = t.map((_, i) => (i % 3 === 0 ? i * 1.5 : -i / 7));
  roundTrip(t, v);
});

test('random data round trips', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let k = 0; k < 200; k++) {
    const n = 1 + Math.floor(rnd() * 200);
    const t: number[] = [];
    const v: number[] = [];
    let ts = Math.floor(rnd() * 1e13);
    for (let i = 0; i < n; i++) {
      ts += Math.floor(rnd() * (rnd() < 0.1 ? 1e9 : 30_000));
      t.push(ts);
      const r = rnd();
      v.push(r < 0.2 ? (v[i - 1] ?? 0) : r < 0.5 ? Math.floor(rnd() * 1000) : r < 0.55 ? NaN : (rnd() - 0.5) * 1e300 * rnd());
    }
    roundTrip(t, v);
  }
});

test('a constant gauge scraped every 15 s costs under 0.5 bytes per sample', () => {
  const t = Array.from({ length: 120 }, (_, i) => 1_700_000_000_000 + i * 15_000);
  const enc = encodeChunk(t, new Float64Array(120).fill(42));
  assert.ok(enc.length <= 60, `${enc.length} bytes`); // 18 bytes of first sample + ~2 bits per sample
});

test('a truncated chunk throws instead of returning garbage', () => {
  const t = Array.from({ length: 50 }, (_, i) => i * 15_000 + (i % 2));
  const enc = encodeChunk(t, Float64Array.from(t, (x) => Math.sqrt(x)));
  assert.throws(() => decodeChunk(enc.subarray(0, enc.length - 20)), /truncated/);
});

test('decimal values (two-decimal counters, gauges) are stored compactly and bit-exactly', () => {
  const t = Array.from({ length: 120 }, (_, i) => 1_700_000_000_000 + i * 15_000 + (i % 3));
  let c = 1234.56;
  const cpu = Float64Array.from(t, (_, i) => (c = Math.round((c + ((i * 37) % 700) / 100) * 100) / 100));
  const enc = encodeChunk(t, cpu);
  assert.equal(enc[0], 3, 'decimal encoding with 2 decimals chosen');
  assert.ok(enc.length / 120 < 3, `${enc.length / 120} B/sample`);
  roundTrip(t, Array.from(cpu));
  // not decimal-exact (0.1 + 0.2) or beyond 6 decimals: falls back to XOR, still exact
  roundTrip([1, 2, 3], [0.1 + 0.2, 1e-9, 3]);
  roundTrip([1, 2, 3], [9007199254740991, -9007199254740991, 0]);
  roundTrip([1, 2, 3, 4], [2 ** 50, -(2 ** 50), 2 ** 50 - 1, -3]);
  roundTrip([1, 2, 3], [1.5, -0, 2]);
});
