import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogSelect, SelectedEntries } from '../../../store/interfaces.js';
import { MemoryQuerier } from './memory-querier.js';

const q = new MemoryQuerier(2);
q.append('t', {
  streams: [
    { labels: { app: 'b' }, ts: [30, 10, 20], lines: ['b30', 'b10', 'b20 err'] },
    { labels: { app: 'a' }, ts: [20, 40], lines: ['a20 err', 'a40'] },
  ],
});
q.append('u', { streams: [{ labels: { app: 'a' }, ts: [15], lines: ['other tenant'] }] });

async function collect(p: Partial<LogSelect>): Promise<SelectedEntries[]> {
  const out: SelectedEntries[] = [];
  for await (const b of q.select({ tenant: 't', matchers: [{ name: 'app', op: '=~', value: '.+' }], start: 0, end: 100, direction: 'forward', order: 'time', ...p })) out.push(b);
  return out;
}
const flat = (bs: SelectedEntries[]): string[] => bs.flatMap((b) => b.lines);

describe('MemoryQuerier', () => {
  it('order time: global time order, ties by stream key, runs of one stream batched', async () => {
    const f = await collect({});
    assert.deepEqual(flat(f), ['b10', 'a20 err', 'b20 err', 'b30', 'a40']);
    assert.deepEqual(f.map((b) => b.key), ['{app="b"}', '{app="a"}', '{app="b"}', '{app="a"}']);
    assert.deepEqual(flat(await collect({ direction: 'backward' })), ['a40', 'b30', 'a20 err', 'b20 err', 'b10']);
  });

  it('order stream: each batch one stream in direction order', async () => {
    const s = await collect({ order: 'stream', direction: 'backward' });
    assert.deepEqual(s.map((b) => [b.key, b.ts]), [['{app="a"}', [40, 20]], ['{app="b"}', [30, 20]], ['{app="b"}', [10]]]);
  });

  it('honours [start, end), matchers, line filters and tenants', async () => {
    assert.deepEqual(flat(await collect({ start: 20, end: 40 })), ['a20 err', 'b20 err', 'b30']);
    assert.deepEqual(flat(await collect({ matchers: [{ name: 'app', op: '=', value: 'a' }] })), ['a20 err', 'a40']);
    assert.deepEqual(flat(await collect({ lineFilters: [{ op: '|=', value: 'err' }, { op: '!~', value: '^a' }] })), ['b20 err']);
    assert.deepEqual(flat(await collect({ tenant: 'u' })), ['other tenant']);
    assert.deepEqual((await q.series('t', [[{ name: 'app', op: '=', value: 'a' }]], 0, 21)).map((s) => s.key), ['{app="a"}']);
    assert.deepEqual(await q.labelValues('t', 'app', 0, 100), ['a', 'b']);
    assert.deepEqual(await q.labelNames('t', 0, 100), ['app']);
  });

  it('stops with the abort reason', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    await assert.rejects(collect({ signal: ac.signal }), /cancelled/);
  });
});
