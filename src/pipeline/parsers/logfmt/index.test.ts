import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { buildParser, fixture, run } from '../test-helpers.js';
import def from './index.js';
import { scanLogfmt } from './scan.js';

conformance(def, import.meta.url);

function pairs(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  scanLogfmt(line, (k, v) => out.push([k, v]));
  return out;
}

describe('logfmt parser', () => {
  const lines = fixture('go-service.logfmt');

  it('scans bare, quoted (with escapes) and valueless keys', () => {
    assert.deepEqual(pairs(lines[2] as string), [
      ['t', '2026-11-27T13:05:03+0000'], ['lvl', 'dbug'], ['msg', 'cache "hit"'], ['key', 'user:7'], ['hit', ''],
    ]);
    assert.deepEqual(pairs('a="x\\ty\\u00e9" b= c'), [['a', 'x\tyé'], ['b', ''], ['c', '']]);
  });

  it('extracts all keys of Go service lines into fields, promoting level', () => {
    const recs = run(buildParser(def, { labels: ['level'] }), lines);
    assert.equal(recs[0]?.labels['level'], 'info');
    assert.deepEqual(recs[0]?.fields, { ts: '2026-11-27T13:05:01.123Z', caller: 'main.go:42', msg: 'server started', addr: ':8080' });
    assert.equal(recs[1]?.labels['level'], 'error');
    assert.equal(recs[1]?.fields?.['err'], 'dial tcp 10.0.0.1:5432: connect: connection refused');
    assert.equal(recs[2]?.labels['level'], undefined, 'no level key: input labels');
  });

  it('picks and renames chosen keys', () => {
    const recs = run(buildParser(def, { fields: { severity: 'level', status_code: 'status' } }), lines.slice(1, 2));
    assert.deepEqual(recs[0]?.fields, { severity: 'error', status_code: '502' });
  });

  it('marks malformed lines with the position, keeping the pairs before the error', () => {
    const recs = run(buildParser(def, {}), ['a=1 msg="unterminated', '=novalue', 'k"ey=1', 'a=b"c']);
    assert.equal(recs.length, 4);
    for (const r of recs) assert.equal(r.fields?.['__error__'], 'LogfmtParserErr', r.line);
    assert.equal(recs[0]?.fields?.['a'], '1');
    assert.match(recs[0]?.fields?.['__error_details__'] ?? '', /unterminated quoted value at position 8/);
  });

  it('an empty line or a plain sentence is not an error', () => {
    const recs = run(buildParser(def, {}), ['', 'just some words']);
    assert.equal(recs[0]?.fields, undefined);
    assert.deepEqual(recs[1]?.fields, { just: '', some: '', words: '' });
  });
});
