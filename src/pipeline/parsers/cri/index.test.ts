import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchToRecords } from '../../../core/events.js';
import { batchOf, buildParser, fixture, run } from '../test-helpers.js';
import def, { parseCriLine } from './index.js';

conformance(def, import.meta.url);

describe('cri parser', () => {
  const lines = fixture('../cri/testdata/containerd.log');

  it('decodes time, stream and message, joins P records up to F per stream, keeps malformed lines marked', () => {
    const recs = run(buildParser(def, {}), lines, { job: 'k' });
    assert.deepEqual(recs.map((r) => [r.labels['stream'], r.line]), [
      ['stdout', 'hello world'],
      ['stdout', 'first half second half'],
      ['stdout', ''],
      ['stdout', 'zoned'],
      ['stderr', 'oops'],
      ['stderr', 'interleaved'],
      [undefined, 'garbage line'],
    ]);
    assert.equal(recs[0]?.ts, Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456);
    assert.equal(recs[1]?.ts, Date.UTC(2024, 0, 2, 3, 4, 7) * 1000 + 500000);
    assert.equal(recs[3]?.ts, Date.UTC(2024, 0, 2, 1, 4, 9) * 1000);
    assert.equal(recs[6]?.fields?.['__error__'], 'CriParserErr');
    assert.equal(recs[6]?.labels['job'], 'k');
  });

  it('names what is wrong with a malformed line', () => {
    assert.equal(parseCriLine(''), 'no timestamp');
    assert.equal(parseCriLine('2024-01-02T03:04:05Z stdout'), 'no stream');
    assert.match(parseCriLine('2024-01-02T03:04:05Z stdin F x') as string, /unknown stream "stdin" at byte 21/);
    assert.match(parseCriLine('2024-01-02T03:04:05Z stdout X x') as string, /unknown tag "X"/);
    assert.match(parseCriLine('yesterday stdout F x') as string, /invalid timestamp/);
    assert.deepEqual(parseCriLine('2024-01-02T03:04:05Z stdout F:x a b'), { ts: Date.UTC(2024, 0, 2, 3, 4, 5) * 1000, stream: 'stdout', complete: true, text: 'a b' });
  });

  it('keeps a partial line open across batches', () => {
    const t = buildParser(def, {});
    assert.equal(batchToRecords(t.process(batchOf(['2024-01-02T03:04:05Z stdout P ab']))).length, 0);
    assert.deepEqual(batchToRecords(t.process(batchOf(['2024-01-02T03:04:06Z stdout F cd']))).map((r) => r.line), ['abcd']);
  });

  it('adds kubernetes labels from /var/log/containers paths', () => {
    const path = `/var/log/containers/api-5d8_default_app-${'0f'.repeat(32)}.log`;
    const recs = run(buildParser(def, {}), [lines[0] as string], { filename: path });
    assert.deepEqual(recs[0]?.labels, { filename: path, namespace: 'default', pod: 'api-5d8', container: 'app', stream: 'stdout' });
    assert.equal(recs[0]?.fields, undefined);
  });
});
