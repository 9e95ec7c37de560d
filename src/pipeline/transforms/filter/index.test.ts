import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchToRecords } from '../../../core/events.js';
import { batchOf, buildParser } from '../../parsers/test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url);

describe('filter transform', () => {
  const lines = ['GET /a error timeout', 'GET /b ok', 'POST /c error disk', 'debug error'];

  it('keeps entries matching line and label filters (fields act as labels)', () => {
    const t = buildParser(def, { condition: '|= "error" | level=~"warn|error"' });
    const b = batchOf(lines);
    b.streams[0]!.fields = [{ level: 'error' }, { level: 'error' }, { level: 'warn' }, { level: 'debug' }];
    const out = t.process(b);
    const recs = batchToRecords(out);
    assert.deepEqual(recs.map((r) => r.line), [lines[0], lines[2]]);
    assert.deepEqual(recs.map((r) => r.ts), [1_000_000, 1_000_002]);
    assert.deepEqual(recs.map((r) => r.fields?.['level']), ['error', 'warn']);
  });

  it('drops matching entries with action drop, using stream labels', () => {
    const t = buildParser(def, { condition: '| job="test" |~ "^GET"', action: 'drop' });
    assert.deepEqual(batchToRecords(t.process(batchOf(lines))).map((r) => r.line), [lines[2], lines[3]]);
    assert.equal(batchToRecords(t.process(batchOf(lines, { job: 'other' }))).length, 4);
  });

  it('removes streams left empty', () => {
    const t = buildParser(def, { condition: '|= "nothing matches this"' });
    assert.deepEqual(t.process(batchOf(lines)).streams, []);
  });

  it('rejects an invalid condition at config time, naming the position', () => {
    assert.throws(() => buildParser(def, { condition: '|= "error" | level=~' }), /condition: parse error at 1:21: expected a quoted value/);
    assert.throws(() => buildParser(def, { condition: '|= "a" | foo bar' }), /parse error at 1:14: .*at byte 13: "bar"/);
    assert.throws(() => buildParser(def, { condition: '| json' }), /only line filters and label filters/);
    assert.throws(() => buildParser(def, { condition: '|~ "(unclosed"' }), /condition: parse error at 1:4: invalid regular expression/);
  });
});
