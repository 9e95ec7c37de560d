import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchOf, buildParser, fixture, run } from '../test-helpers.js';
import def from './index.js';
import { compilePath, evalPath } from './path.js';

conformance(def, import.meta.url);

describe('json parser', () => {
  const lines = fixture('app.jsonl');

  it('extracts every top-level field, flattening objects and skipping arrays, as LogQL | json', () => {
    const [r] = run(buildParser(def, {}), lines.slice(0, 1));
    assert.deepEqual(r?.fields, {
      time: '2026-11-27T13:05:01.123456Z', level: 'info', msg: 'request served', http_method: 'GET', http_status: '200', trace_id: '4bf92f3577b34da6',
    });
    assert.deepEqual(r?.labels, { job: 'test' });
    assert.equal(r?.line, lines[0], 'the line is kept');
  });

  it('null becomes empty, booleans and numbers are printed, escapes decoded', () => {
    const recs = run(buildParser(def, {}), lines.slice(1));
    assert.equal(recs[0]?.fields?.['user'], '');
    assert.equal(recs[0]?.fields?.['ok'], 'false');
    assert.equal(recs[0]?.fields?.['error_retries'], '3');
    assert.equal(recs[1]?.fields?.['msg'], 'slow "query"\nsecond line');
    assert.equal(recs[1]?.fields?.['duration_ms'], '1234.5');
  });

  it('promotes listed fields to labels and regroups one stream into several', () => {
    const t = buildParser(def, { fields: { level: 'level', method: 'http.method', tag: 'tags[1]', err: 'error' }, labels: ['level'] });
    const out = t.process(batchOf([...lines, 'not json']));
    const byLevel = new Map(out.streams.map((s) => [s.labels['level'] ?? '(none)', s]));
    assert.deepEqual([...byLevel.keys()].sort(), ['(none)', 'ERROR', 'info']);
    assert.deepEqual(byLevel.get('info')?.fields?.[0], { method: 'GET', tag: 'b' });
    assert.deepEqual(byLevel.get('ERROR')?.fields?.[0], { err: '{"kind":"timeout","retries":3}' });
    // The third line has no `level` and the fourth is not JSON: both stay with the input labels, in order.
    const rest = byLevel.get('(none)');
    assert.deepEqual(rest?.lines, [lines[2], 'not json']);
    assert.deepEqual(rest?.ts, [1_000_002, 1_000_003]);
    assert.equal(rest?.fields?.[1]?.['__error__'], 'JSONParserErr');
  });

  it('renames a promoted label colliding with a stream label to <name>_extracted', () => {
    const recs = run(buildParser(def, { labels: ['job'] }), ['{"job":"x"}']);
    assert.deepEqual(recs[0]?.labels, { job: 'test', job_extracted: 'x' });
  });

  it('sanitizes names', () => {
    const recs = run(buildParser(def, { labels: ['k8s.pod'] }), ['{"k8s.pod":"p1","1st":"a","a-b":"c"}']);
    assert.deepEqual(recs[0]?.labels, { job: 'test', k8s_pod: 'p1' });
    assert.deepEqual(recs[0]?.fields, { _1st: 'a', a_b: 'c' });
  });

  it('marks malformed lines and keeps them: truncated, not an object, empty', () => {
    const recs = run(buildParser(def, {}), ['{"unterminated": ', '[1,2]', '', '"str"']);
    assert.equal(recs.length, 4);
    for (const r of recs) assert.equal(r.fields?.['__error__'], 'JSONParserErr', r.line);
    assert.ok((recs[0]?.fields?.['__error_details__'] ?? '').length > 0);
  });

  it('does not overwrite an earlier error', () => {
    const b = batchOf(['nope']);
    b.streams[0]!.fields = [{ __error__: 'LogfmtParserErr', __error_details__: 'x' }];
    const out = buildParser(def, {}).process(b);
    assert.equal(out.streams[0]?.fields?.[0]?.['__error__'], 'LogfmtParserErr');
  });

  it('compiles paths and rejects malformed ones', () => {
    assert.deepEqual(compilePath('a.b[0]["c.d"]'), ['a', 'b', 0, 'c.d']);
    assert.equal(evalPath({ a: { b: [{ 'c.d': 5 }] } }, compilePath('a.b[0]["c.d"]')), 5);
    assert.equal(evalPath({ a: 1 }, compilePath('a.b')), undefined);
    assert.throws(() => compilePath('a[x'), /unclosed/);
    assert.throws(() => buildParser(def, { fields: { x: 'a[zz]' } }), /fields\.x/);
  });
});
