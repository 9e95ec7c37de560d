import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprintOf, sameFile } from './identity.js';

describe('file identity', () => {
  const content = Buffer.from('2024-01-01 first line of the log\nsecond\n');

  it('matches the same inode with the same leading bytes, also after the file grew', () => {
    const rec = { key: '1:42', fp: fingerprintOf(content.subarray(0, 10), 1024) };
    assert.equal(rec.fp.len, 10);
    assert.equal(sameFile(rec, '1:42', content), true);
  });

  it('a reused inode with different content is another file', () => {
    const rec = { key: '1:42', fp: fingerprintOf(content, 1024) };
    assert.equal(sameFile(rec, '1:42', Buffer.from('2024-01-01 other file entirely, same inode\n')), false);
  });

  it('another inode is another file even with the same content (a copy)', () => {
    const rec = { key: '1:42', fp: fingerprintOf(content, 1024) };
    assert.equal(sameFile(rec, '1:43', content), false);
  });

  it('a file now shorter than its fingerprint was truncated or replaced', () => {
    const rec = { key: '1:42', fp: fingerprintOf(content, 1024) };
    assert.equal(sameFile(rec, '1:42', content.subarray(0, 5)), false);
  });

  it('hashes at most the configured number of bytes', () => {
    const a = fingerprintOf(Buffer.concat([content, Buffer.from('A')]), content.length);
    const b = fingerprintOf(Buffer.concat([content, Buffer.from('B')]), content.length);
    assert.deepEqual(a, b);
  });
});
