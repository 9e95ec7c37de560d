import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LineColumns } from '../../pipeline/multiline/aggregator.js';
import { LineSplitter, type LineSplitterOptions } from './line-splitter.js';

function feed(chunks: Array<string | Buffer>, opts: Partial<LineSplitterOptions> = {}): { out: LineColumns; sp: LineSplitter } {
  const sp = new LineSplitter({ maxLineBytes: 1024, onLongLine: 'split', encoding: 'utf8', ...opts });
  const out: LineColumns = { lines: [], ends: [] };
  let pos = 0;
  for (const c of chunks) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    sp.push(b, pos, out);
    pos += b.length;
  }
  return { out, sp };
}

describe('LineSplitter', () => {
  it('splits lines with byte end offsets, strips \\r, holds the tail', () => {
    const { out, sp } = feed(['a\r\nbb\n', 'c', 'c\n\ndd']);
    assert.deepEqual(out.lines, ['a', 'bb', 'cc', '']);
    assert.deepEqual(out.ends, [3, 6, 9, 10]);
    assert.equal(sp.partialBytes, 2);
    assert.equal(sp.flushPartial(out), true);
    assert.deepEqual(out.lines.at(-1), 'dd');
    assert.equal(out.ends.at(-1), 12);
  });

  it('counts offsets in bytes, not characters, across chunk boundaries inside a character', () => {
    const e = Buffer.from('é\nx\n'); // é is 2 bytes
    const { out } = feed([e.subarray(0, 1), e.subarray(1)]);
    assert.deepEqual(out.lines, ['é', 'x']);
    assert.deepEqual(out.ends, [3, 5]);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const { out } = feed([Buffer.from([0x61, 0xc3, 0x28, 0x0a, 0xff, 0x0a])]);
    assert.deepEqual(out.lines, ['a\uFFFD(', '\uFFFD']);
  });

  it('splits a long line at a character boundary into pieces, counted', () => {
    const line = 'é'.repeat(10); // 20 bytes
    const { out, sp } = feed([`${line}\nok\n`], { maxLineBytes: 7 });
    assert.deepEqual(out.lines, ['ééé', 'ééé', 'ééé', 'é', 'ok']);
    assert.deepEqual(out.ends, [6, 12, 18, 21, 24]);
    assert.equal(sp.longLines, 1);
  });

  it('splits a long line arriving in many small chunks without holding more than the limit', () => {
    const chunks = Array.from({ length: 50 }, () => 'x'.repeat(10));
    const { out, sp } = feed([...chunks, '\n'], { maxLineBytes: 100 });
    assert.equal(out.lines.length, 5);
    assert.ok(out.lines.every((l) => l.length === 100));
    assert.equal(sp.partialBytes, 0);
  });

  it('truncates a long line, dropping bytes up to its newline', () => {
    const { out, sp } = feed(['y'.repeat(30), 'y'.repeat(30), 'yy\nnext\n'], { maxLineBytes: 10, onLongLine: 'truncate' });
    assert.deepEqual(out.lines, ['y'.repeat(10), 'next']);
    assert.deepEqual(out.ends, [63, 68]);
    assert.equal(sp.truncatedBytes, 52);
    assert.equal(sp.longLines, 1);
  });

  it('reset forgets the held tail', () => {
    const { out, sp } = feed(['abc']);
    sp.reset();
    sp.push(Buffer.from('x\n'), 0, out);
    assert.deepEqual(out.lines, ['x']);
  });
});
