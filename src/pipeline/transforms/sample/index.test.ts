import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { makeTestContext, counterValue } from '../../../components/testing.js';
import { batchToRecords } from '../../../core/events.js';
import { batchOf } from '../../parsers/test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url);

function build(config: { rate: number; keep_levels?: string[] }) {
  const ctx = makeTestContext('transform', 'sample');
  ctx.cleanup();
  return { ctx, t: def.build(config, ctx) };
}

const nums = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `line ${from + i}`);

describe('sample transform', () => {
  it('keeps 1 in rate per stream, continuing the count across batches, and counts the rest', async () => {
    const { ctx, t } = build({ rate: 3 });
    const a = batchToRecords(t.process(batchOf(nums(4)))).map((r) => r.line);
    const b = batchToRecords(t.process(batchOf(nums(5, 4)))).map((r) => r.line);
    assert.deepEqual([...a, ...b], ['line 0', 'line 3', 'line 6']);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'sampled' }), 6);
  });

  it('counts streams separately', () => {
    const { t } = build({ rate: 2 });
    const out = t.process({
      streams: [
        { labels: { s: 'a' }, ts: [1, 2, 3], lines: ['a0', 'a1', 'a2'] },
        { labels: { s: 'b' }, ts: [1, 2], lines: ['b0', 'b1'] },
      ],
    });
    assert.deepEqual(batchToRecords(out).map((r) => r.line), ['a0', 'a2', 'b0']);
  });

  it('always keeps warn/error/critical entries by field or label, and they do not advance the counter', () => {
    const { t } = build({ rate: 100 });
    const b = batchOf(['x', 'boom', 'y', 'careful', 'z']);
    b.streams[0]!.fields = [undefined, { level: 'ERROR' }, { level: 'info' }, { level: 'warn' }, undefined];
    assert.deepEqual(batchToRecords(t.process(b)).map((r) => r.line), ['x', 'boom', 'careful']);
    const byLabel = t.process(batchOf(nums(5), { job: 'test', level: 'critical' }));
    assert.equal(batchToRecords(byLabel).length, 5);
  });

  it('honours configured keep_levels', () => {
    const { t } = build({ rate: 100, keep_levels: ['audit'] });
    const b = batchOf(['a', 'b', 'c']);
    b.streams[0]!.fields = [undefined, { level: 'error' }, { level: 'audit' }];
    assert.deepEqual(batchToRecords(t.process(b)).map((r) => r.line), ['a', 'c']);
  });

  it('is deterministic', () => {
    const run = () => batchToRecords(build({ rate: 7 }).t.process(batchOf(nums(50)))).map((r) => r.line);
    assert.deepEqual(run(), run());
    assert.equal(run().length, 8);
  });
});
