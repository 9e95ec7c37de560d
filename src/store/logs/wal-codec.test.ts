import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeWalBatch, encodeWalBatch } from './wal-codec.js';

function linesOf(body: Buffer, lens: Uint32Array): string[] {
  const out: string[] = [];
  let o = 0;
  for (const l of lens) {
    out.push(body.toString('utf8', o, o + l));
    o += l;
  }
  return out;
}

test('WAL payload round-trips ASCII, multi-byte, empty lines and lone surrogates (per line, never joined across lines)', () => {
  const a = ['abc', '', 'é\u00ff\u4e16\ud83d\ude00', '\ud83d', '\ude00x', 'plain'];
  const b = Array.from({ length: 2000 }, (_, i) => `${'ü'.repeat(i % 50)} line ${i}`); // forces the buffer to grow
  const enc = encodeWalBatch('tenant-ü', [
    { labels: { app: 'a' }, labelsJson: '{"app":"a"}', ts: a.map((_, i) => 1000 + i), lines: a },
    { labels: { app: 'b' }, labelsJson: '{"app":"b"}', ts: b.map((_, i) => 5000 + i), lines: b },
  ]);
  const dec = decodeWalBatch(enc.payload);
  assert.equal(dec.tenant, 'tenant-ü');
  assert.equal(dec.streams.length, 2);
  const [sa, sb] = dec.streams;
  assert.deepEqual(sa?.labels, { app: 'a' });
  assert.deepEqual(sa?.ts, a.map((_, i) => 1000 + i));
  // A lone surrogate is one U+FFFD (3 bytes) of its own line, as Buffer.from would encode it.
  assert.deepEqual(linesOf(sa?.bytes.body as Buffer, sa?.bytes.lens as Uint32Array), ['abc', '', 'é\u00ff\u4e16\ud83d\ude00', '\ufffd', '\ufffdx', 'plain']);
  assert.deepEqual(Array.from(sa?.bytes.lens ?? []), a.map((l) => Buffer.byteLength(l)));
  assert.deepEqual(linesOf(sb?.bytes.body as Buffer, sb?.bytes.lens as Uint32Array), b);
  // The encoder's views are the same bytes the decoder finds.
  assert.ok(enc.bytes[1]?.body.equals(sb?.bytes.body as Buffer));
  assert.deepEqual(Array.from(enc.bytes[0]?.lens ?? []), Array.from(sa?.bytes.lens ?? []));
});

test('a truncated payload is refused with a RangeError, not decoded into garbage', () => {
  const enc = encodeWalBatch('t', [{ labels: { app: 'a' }, labelsJson: '{"app":"a"}', ts: [1, 2], lines: ['one', 'two'] }]);
  assert.throws(() => decodeWalBatch(enc.payload.subarray(0, enc.payload.length - 2)), RangeError);
});
