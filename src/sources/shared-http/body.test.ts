import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { decodeContentEncoding, firstInvalidUtf8, HttpSourceError, utf8Text } from './body.js';
import { compactJson, valueAtPath } from './json.js';
import { parseDocTime } from './timestamp.js';

describe('shared-http body', () => {
  it('undoes gzip/deflate within the limit and names bad encodings', async () => {
    assert.equal((await decodeContentEncoding('gzip', gzipSync('hello'), 100)).toString(), 'hello');
    assert.equal((await decodeContentEncoding('deflate', deflateSync('hi'), 100)).toString(), 'hi');
    assert.equal((await decodeContentEncoding(undefined, Buffer.from('raw'), 100)).toString(), 'raw');
    await assert.rejects(decodeContentEncoding('gzip', gzipSync('x'.repeat(1000)), 100), (e: unknown) => e instanceof HttpSourceError && e.status === 413);
    const gz = gzipSync('some text that is long enough');
    await assert.rejects(decodeContentEncoding('gzip', gz.subarray(0, gz.length - 4), 100), (e: unknown) => e instanceof HttpSourceError && e.status === 400 && /malformed gzip/.test(e.message));
    await assert.rejects(decodeContentEncoding('zstd', Buffer.from('x'), 100), (e: unknown) => e instanceof HttpSourceError && e.status === 415);
  });

  it('finds the first invalid UTF-8 byte', () => {
    assert.equal(firstInvalidUtf8(Buffer.from('plain ascii é € 😀')), -1);
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x80])), 1);
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1); // truncated 3-byte sequence
    assert.equal(firstInvalidUtf8(Buffer.from([0xc0, 0xaf])), 0); // overlong
    assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0); // surrogate
    assert.equal(utf8Text(Buffer.from('a\uFFFDb')), 'a\uFFFDb'); // a real U+FFFD is fine
    assert.throws(() => utf8Text(Buffer.from([0x61, 0x62, 0xff])), /byte offset 2/);
  });

  it('compacts JSON outside strings only', () => {
    assert.equal(compactJson('{ "a" : "x y\\" z" ,\n "b":[1, 2] }'), '{"a":"x y\\" z","b":[1,2]}');
    const s = '{"already":"compact"}';
    assert.equal(compactJson(s), s);
  });

  it('reads dotted paths flat or nested, and document times', () => {
    assert.equal(valueAtPath({ 'a.b': 1, a: { b: 2 } }, 'a.b'), 1);
    assert.equal(valueAtPath({ a: { b: { c: 'x' } } }, 'a.b.c'), 'x');
    assert.equal(valueAtPath({ a: 'x' }, 'a.b'), undefined);
    assert.equal(parseDocTime(1700000000123), 1700000000123000);
    assert.equal(parseDocTime('1700000000123'), 1700000000123000);
    assert.equal(parseDocTime('2024-01-01T00:00:00.000001Z'), 1704067200000001);
    assert.equal(parseDocTime('yesterday'), undefined);
    assert.equal(parseDocTime({}), undefined);
  });
});
