import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendToBlock, blockBody, chunkPieces, newBlock, releaseBlock, sortedView } from './head.js';
import { PAGE_BYTES, PagePool } from './page-pool.js';
import { encodeWalBatch } from './wal-codec.js';

function append(b: ReturnType<typeof newBlock>, pool: PagePool, ts: number[], lines: string[]): void {
  const { bytes } = encodeWalBatch('t', [{ labels: { a: 'b' }, labelsJson: '{"a":"b"}', ts, lines }]);
  const part = bytes[0];
  assert.ok(part);
  appendToBlock(b, ts, part, 1, 0, pool);
  part.body.fill(0x21); // the head copied: scribbling over the payload afterwards changes nothing
}

test('head pages: lines are copied over page boundaries, empty and page-sized lines included, and decode back', () => {
  const pool = new PagePool();
  const b = newBlock(1, 0);
  const small = Array.from({ length: 50 }, (_, i) => `small ${i} ünïcode`);
  const big = ['', 'x'.repeat(PAGE_BYTES + 10), '', 'y'.repeat(PAGE_BYTES - 3), 'after', ''];
  const many = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'z'.repeat(i % 97)}`);
  const all = [...small, ...big, ...many];
  append(b, pool, small.map((_, i) => i), small);
  append(b, pool, big.map((_, i) => 100 + i), big);
  append(b, pool, many.map((_, i) => 200 + i), many);
  assert.ok(b.pages.length > 3, 'spread over several pages');
  assert.equal(b.bytes, all.reduce((n, l) => n + Buffer.byteLength(l), 0));
  assert.deepEqual(sortedView(b).lines, all);
  assert.deepEqual(sortedView(b, 60).lines, all.slice(0, 60), 'a snapshot of the first n');
  assert.deepEqual(sortedView(b, b.ts.length, false).lines, all.map(() => ''), 'timestamps only: no decoding');
  const body = Buffer.concat(blockBody(b));
  assert.equal(body.toString(), all.join(''));

  // Chunk pieces cover every line once, in order, within the target size (but never empty).
  const pieces = chunkPieces(b, 100_000);
  assert.ok(pieces.length > 1);
  const fromPieces: string[] = [];
  for (const p of pieces) {
    const bytes = Buffer.concat(p.lines.body);
    let o = 0;
    for (const len of p.lines.lens) {
      fromPieces.push(bytes.toString('utf8', o, o + len));
      o += len;
    }
    assert.equal(o, bytes.length);
  }
  assert.deepEqual(fromPieces, all);

  // Released pages are reused by the next block.
  const pages = b.pages.filter((p) => p.length === PAGE_BYTES).length;
  releaseBlock(b, pool);
  assert.equal(pool.freePages, pages);
  const next = newBlock(2, 0);
  append(next, pool, [1], ['x'.repeat(PAGE_BYTES / 2 + 1)]);
  assert.equal(pool.freePages, pages - 1);
  assert.deepEqual(sortedView(next).lines, ['x'.repeat(PAGE_BYTES / 2 + 1)]);
});

test('head pages: an out-of-order block is sorted by ts (stable) for queries and chunks', () => {
  const pool = new PagePool();
  const b = newBlock(1, 0);
  append(b, pool, [30, 10, 20], ['c', 'a', 'b1']);
  append(b, pool, [20, 5], ['b2', 'first']);
  assert.equal(b.inOrder, false);
  assert.deepEqual(sortedView(b), { ts: [5, 10, 20, 20, 30], lines: ['first', 'a', 'b1', 'b2', 'c'] });
  const [piece] = chunkPieces(b, 1 << 20);
  assert.ok(piece);
  assert.deepEqual(Array.from(piece.ts), [5, 10, 20, 20, 30]);
  assert.equal(Buffer.concat(piece.lines.body).toString(), 'firstab1b2c');
});
