import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkList, type ChunkMeta } from './chunk-list.js';

const chunk = (minT: number, maxT: number, segment: number, offset = minT): ChunkMeta => ({ minT, maxT, segment, offset, bytes: 10, crc: 7, count: 3 });

function overlapping(l: ChunkList, start: number, end: number): number[] {
  const [from, to] = l.range(start, end);
  const out: number[] = [];
  for (let i = from; i < to; i++) if (l.overlaps(i, start, end)) out.push(l.minT(i));
  return out;
}

test('chunk list: range finds exactly the overlapping chunks, kept in max-time order', () => {
  const l = new ChunkList();
  for (let k = 0; k < 50; k++) l.add(chunk(k * 100, k * 100 + 90, 1 + (k >> 4)));
  assert.equal(l.n, 50);
  assert.deepEqual(overlapping(l, 95, 99), []);
  assert.deepEqual(overlapping(l, 90, 100), [0, 100]);
  assert.deepEqual(overlapping(l, 250, 420), [200, 300, 400]);
  assert.deepEqual(overlapping(l, -1e9, -1), []);
  assert.equal(overlapping(l, -Infinity, Infinity).length, 50);
  assert.deepEqual(l.span(), [0, 4990]);
  assert.equal(l.segment(17), 2);
  assert.equal(l.offset(17), 1700);
  assert.equal(l.crc(3), 7);
  assert.equal(l.bytes(3), 10);
  assert.equal(l.count(3), 3);
  // an insert out of order lands in max-time order
  const m = new ChunkList();
  m.add(chunk(300, 390, 1));
  m.add(chunk(0, 90, 1));
  m.add(chunk(100, 190, 1));
  assert.deepEqual(overlapping(m, -Infinity, Infinity), [0, 100, 300]);
  // chunks whose min times are not ascending (overlapping spans) are still all found
  const o = new ChunkList();
  o.add(chunk(0, 100, 1));
  o.add(chunk(50, 200, 1));
  o.add(chunk(10, 300, 1));
  assert.deepEqual(overlapping(o, 20, 30), [0, 10]);
});

test('chunk list: removing segments keeps the others in order', () => {
  const l = new ChunkList();
  for (let k = 0; k < 10; k++) l.add(chunk(k * 10, k * 10 + 5, k % 3));
  assert.equal(l.removeSegments(new Set([0, 2])), 7);
  assert.deepEqual(overlapping(l, -Infinity, Infinity), [10, 40, 70]);
  assert.equal(l.removeSegments(new Set([1])), 3);
  assert.equal(l.n, 0);
  assert.equal(l.span(), undefined);
  l.add(chunk(5, 6, 4));
  assert.deepEqual(overlapping(l, 0, 10), [5]);
});

test('chunk list: chunks age out by max time, and the array shrinks', () => {
  const l = new ChunkList();
  for (let k = 0; k < 64; k++) l.add(chunk(k * 10, k * 10 + 5, 1));
  const big = l.heldBytes();
  assert.equal(l.dropBefore(0), 0);
  assert.equal(l.dropBefore(16), 2); // max times 5 and 15
  assert.deepEqual(overlapping(l, 0, 30), [20, 30]);
  assert.equal(l.dropBefore(600), 58);
  assert.deepEqual(overlapping(l, -Infinity, Infinity), [600, 610, 620, 630]);
  assert.ok(l.heldBytes() < big / 4, `${l.heldBytes()} < ${big} / 4`);
  assert.equal(l.dropBefore(1e9), 4);
  assert.equal(l.n, 0);
  assert.equal(l.heldBytes(), 0);
});
