import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultilineAggregator, type LineColumns } from './aggregator.js';

const cols = (): LineColumns => ({ lines: [], ends: [] });

describe('MultilineAggregator', () => {
  it('start mode: a matching line begins a record; the end offset is the last line\'s', () => {
    const ml = new MultilineAggregator({ mode: 'start', pattern: /^\[/g, timeout: 1000, maxLines: 100 });
    const out = cols();
    ml.push(['[1] a', 'x', 'y', '[2] b', 'z'], [6, 8, 10, 16, 18], 0, out);
    assert.deepEqual(out.lines, ['[1] a\nx\ny']);
    assert.deepEqual(out.ends, [10]);
    assert.equal(ml.heldLines, 2);
    assert.equal(ml.flushIfIdle(500, out), false);
    assert.equal(ml.flushIfIdle(1000, out), true);
    assert.deepEqual(out.lines, ['[1] a\nx\ny', '[2] b\nz']);
    assert.deepEqual(out.ends, [10, 18]);
  });

  it('continuation mode: matching lines extend the previous record; leading continuations form a record', () => {
    const ml = new MultilineAggregator({ mode: 'continuation', pattern: /^\s/, timeout: 1000, maxLines: 100 });
    const out = cols();
    ml.push(['  orphan', 'Exception', '\tat a', '\tat b', 'next'], [1, 2, 3, 4, 5], 0, out);
    ml.flush(out);
    assert.deepEqual(out.lines, ['  orphan', 'Exception\n\tat a\n\tat b', 'next']);
    assert.deepEqual(out.ends, [1, 4, 5]);
  });

  it('cuts a record at max_lines; reset drops held lines', () => {
    const ml = new MultilineAggregator({ mode: 'continuation', pattern: /^ /, timeout: 1000, maxLines: 2 });
    const out = cols();
    ml.push(['a', ' b', ' c', ' d'], [1, 2, 3, 4], 0, out);
    assert.deepEqual(out.lines, ['a\n b', ' c\n d']);
    ml.push(['e'], [5], 0, out);
    ml.reset();
    ml.flush(out);
    assert.equal(out.lines.length, 2);
  });
});
