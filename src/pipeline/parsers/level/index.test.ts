import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchToRecords } from '../../../core/events.js';
import jsonDef from '../json/index.js';
import logfmtDef from '../logfmt/index.js';
import { batchOf, buildParser, fixture, run } from '../test-helpers.js';
import { levelFromText, normalizeLevel } from './detect.js';
import def from './index.js';

conformance(def, import.meta.url);

describe('level detection', () => {
  it('normalizes names and numbers', () => {
    const cases: Array<[string, string]> = [
      ['ERROR', 'error'], ['err', 'error'], ['Warning', 'warn'], ['notice', 'info'], ['dbug', 'debug'], ['FATAL', 'critical'],
      ['panic', 'critical'], ['trace', 'trace'], ['3', 'error'], ['4', 'warn'], ['6', 'info'], ['7', 'debug'], ['50', 'error'],
      ['30', 'info'], ['10', 'trace'], ['60', 'critical'], ['banana', 'unknown'],
    ];
    for (const [v, l] of cases) assert.equal(normalizeLevel(v), l, v);
  });

  it('detects from text', () => {
    const cases: Array<[string, string]> = [
      ['ts=1 level=warn msg=x', 'warn'], ['{"level":"error","msg":"x"}', 'error'], ['{"severity": "DEBUG"}', 'debug'],
      ['2026/11/27 13:05:01 [error] 123#0: *1 open() failed', 'error'], ['[Fri Nov 27 2026] [crit] server down', 'critical'],
      ['2026-11-27 13:05:01 WARN  c.e.Service - slow', 'warn'], ['INFO started', 'info'], ['no level, some error words', 'unknown'],
      ['<30>1 pino', 'unknown'],
    ];
    for (const [line, l] of cases) assert.equal(levelFromText(line), l, line);
  });
});

describe('level parser', () => {
  it('sets the level label from fields of a previous parser, regrouping by level', () => {
    const lines = fixture('app.jsonl');
    const out = buildParser(def, {}).process(buildParser(jsonDef, {}).process(batchOf(lines)));
    const recs = batchToRecords(out);
    assert.deepEqual(recs.map((r) => r.labels['level']).sort(), ['error', 'info', 'warn']);
    assert.equal(out.streams.length, 3);
  });

  it('falls back to the text', () => {
    const recs = run(buildParser(def, {}), ['[error] boom', 'plain', 'WARN x'], { job: 'a' });
    const byLine = new Map(recs.map((r) => [r.line, r.labels]));
    assert.deepEqual(byLine.get('[error] boom'), { job: 'a', level: 'error' });
    assert.deepEqual(byLine.get('plain'), { job: 'a', level: 'unknown' });
    assert.deepEqual(byLine.get('WARN x'), { job: 'a', level: 'warn' });
  });

  it('normalizes an existing level label (e.g. promoted raw by json), falling back to text when unknown', () => {
    const json = buildParser(jsonDef, { labels: ['level'] });
    const out = buildParser(def, {}).process(json.process(batchOf(['{"level":"ERROR","m":1}', '{"level":"WARNING"}', '{"m":"[debug] x"}'])));
    const recs = batchToRecords(out);
    assert.deepEqual(recs.map((r) => r.labels), [{ job: 'test', level: 'error' }, { job: 'test', level: 'warn' }, { job: 'test', level: 'debug' }]);
    const odd = run(buildParser(def, {}), ['INFO from text'], { job: 'a', level: 'weird' });
    assert.deepEqual(odd[0]?.labels, { job: 'a', level: 'info' });
  });

  it('works after logfmt on Go service lines, and with from_text off', () => {
    const lf = buildParser(logfmtDef, {});
    const recs = batchToRecords(buildParser(def, {}).process(lf.process(batchOf(fixture('go-service.logfmt')))));
    assert.deepEqual(recs.map((r) => r.labels['level']), ['info', 'error', 'debug']);
    const off = run(buildParser(def, { from_text: false }), ['ERROR x']);
    assert.equal(off[0]?.labels['level'], 'unknown');
  });
});
