import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { HistoryStore } from './history.js';
import { tempDir } from './testdata/helpers.js';

const H = 3_600_000;
const T = Date.UTC(2026, 2, 1);

test('runs, hourly uptime, transitions and saved state; pruning by age in slices', () => {
  const path = join(tempDir(), 'monitors', 'history.db');
  let h = new HistoryStore(path);
  for (let i = 0; i < 48; i++) h.addRun({ monitor: 'a', t: T + i * H, success: i % 4 !== 0, latencyMs: i, reason: i % 4 === 0 ? 'status 500' : undefined });
  h.addRun({ monitor: 'b', t: T, success: true, latencyMs: 1, reason: undefined });
  assert.equal(h.runs('a', 0, 100).length, 0, 'buffered until flush');
  h.flush();
  h.recordTransition({ monitor: 'a', t: T, from: 'PENDING', to: 'DOWN', reason: 'status 500' }, { state: 'DOWN', since: T, reason: 'status 500', failures: 1, lastPing: undefined });
  h.saveState('b', { state: 'UP', since: T, reason: 'up', failures: 0, lastPing: T + 5 });
  h.close();
  h.close();

  h = new HistoryStore(path);
  assert.equal(h.uptime(T + 24 * H).get('a'), 0.75);
  assert.equal(h.uptime(T).get('b'), 1);
  const runs = h.runs('a', T + 40 * H, 3);
  assert.deepEqual(runs.map((r) => r.latencyMs), [45, 46, 47]);
  assert.equal(h.runs('a', 0, 1000).length, 48);
  assert.deepEqual(h.runs('a', T + 44 * H, 1)[0], { monitor: 'a', t: T + 47 * H, success: true, latencyMs: 47, reason: undefined });
  assert.equal(h.runs('a', T + 44 * H, 10)[0]?.reason, 'status 500');
  assert.deepEqual(h.transitions('a', 0).map((x) => x.to), ['DOWN']);
  const states = h.loadStates();
  assert.deepEqual(states.get('b'), { state: 'UP', since: T, reason: 'up', failures: 0, lastPing: T + 5 });
  assert.equal(states.get('a')?.state, 'DOWN');

  let deleted = 0;
  for (let n = h.prune(T + 24 * H); n > 0; n = h.prune(T + 24 * H)) deleted += n;
  assert.ok(deleted >= 24 + 1 + 1);
  assert.equal(h.runs('a', 0, 1000).length, 24);
  assert.equal(h.transitions('a', 0).length, 0);
  assert.equal(h.uptime(0).get('b'), undefined);
  h.forget('b');
  assert.equal(h.loadStates().has('b'), false);
  h.close();
});
