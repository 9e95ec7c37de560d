import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { makeTestContext, counterValue } from '../../../components/testing.js';
import { batchToRecords } from '../../../core/events.js';
import { batchOf } from '../../parsers/test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url);

function build(config: { limit: number; window: string; key?: string[] }) {
  const ctx = makeTestContext('transform', 'throttle');
  ctx.cleanup();
  let now = 60_000_000 * 100;
  ctx.now = () => now;
  return { ctx, t: def.build(config, ctx), advance: (us: number) => (now += us) };
}

const lines = (n: number, p = 'l'): string[] => Array.from({ length: n }, (_, i) => `${p}${i}`);

describe('throttle transform', () => {
  it('passes at most limit per window per stream, across batches, then resets on the next window', async () => {
    const { ctx, t, advance } = build({ limit: 3, window: '1m' });
    assert.deepEqual(batchToRecords(t.process(batchOf(lines(2)))).map((r) => r.line), ['l0', 'l1']);
    assert.deepEqual(batchToRecords(t.process(batchOf(lines(4, 'm')))).map((r) => r.line), ['m0']);
    assert.deepEqual(t.process(batchOf(lines(1))).streams, []);
    advance(30_000_000);
    assert.equal(batchToRecords(t.process(batchOf(lines(5)))).length, 0, 'same window');
    advance(30_000_000);
    assert.equal(batchToRecords(t.process(batchOf(lines(5)))).length, 3, 'next window');
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'throttled' }), 3 + 1 + 5 + 2);
  });

  it('keys by the given labels, sharing the budget between streams', () => {
    const { t } = build({ limit: 2, window: '10s', key: ['app'] });
    const out = t.process({
      streams: [
        { labels: { app: 'a', pod: '1' }, ts: [1], lines: ['a1'] },
        { labels: { app: 'a', pod: '2' }, ts: [1, 2], lines: ['a2', 'a3'], fields: [{ k: 'v' }, undefined] },
        { labels: { app: 'b', pod: '1' }, ts: [1, 2], lines: ['b1', 'b2'] },
      ],
    });
    const recs = batchToRecords(out);
    assert.deepEqual(recs.map((r) => r.line), ['a1', 'a2', 'b1', 'b2']);
    assert.deepEqual(recs[1]?.fields, { k: 'v' });
  });

  it('keys by whole stream by default', () => {
    const { t } = build({ limit: 1, window: '10s' });
    const out = t.process({
      streams: [
        { labels: { app: 'a', pod: '1' }, ts: [1, 2], lines: ['a1', 'x'] },
        { labels: { pod: '2', app: 'a' }, ts: [1], lines: ['a2'] },
      ],
    });
    assert.deepEqual(batchToRecords(out).map((r) => r.line), ['a1', 'a2']);
  });

  it('rejects a bad window', () => {
    assert.throws(() => build({ limit: 1, window: '5 minutes' }), /window: invalid duration/);
  });
});
