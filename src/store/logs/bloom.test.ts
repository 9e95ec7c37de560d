import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bloomMayContain, TrigramCollector } from './bloom.js';
import { collect, openStore, rows, T0, tempDir } from './testdata/helpers.js';

test('trigram bloom never rules out a substring that is present, and rules out most that are not', () => {
  const c = new TrigramCollector();
  const lines = Array.from({ length: 2000 }, (_, i) => `GET /api/v1/users/${i * 7919} 200 trace_id=${(i * 2654435761 >>> 0).toString(16)}`);
  const body = Buffer.from(lines.join(''));
  let at = 0;
  for (const l of lines) {
    c.add(body, at, at + l.length);
    at += l.length;
  }
  const bloom = c.build();
  for (const l of lines.slice(0, 300)) {
    for (let s = 0; s + 3 <= l.length; s += 5) assert.ok(bloomMayContain(bloom, Buffer.from(l.slice(s, s + 3 + (s % 11)))), l);
  }
  let falsePositives = 0;
  for (let i = 0; i < 1000; i++) if (bloomMayContain(bloom, Buffer.from(`needle-${i}-xyzzy`))) falsePositives++;
  assert.ok(falsePositives < 10, `false positives ${falsePositives}/1000`);
  assert.equal(bloomMayContain(bloom, Buffer.from('zz')), true, 'short needles cannot be ruled out');
  assert.equal(bloomMayContain(Buffer.from([1, 2]), Buffer.from('anything')), true, 'a malformed filter never skips');
  // trigrams never cross line boundaries: the collector reuses its state correctly after build
  c.add(Buffer.from('abcdef'), 0, 6);
  const b2 = c.build();
  assert.equal(bloomMayContain(b2, Buffer.from('bcd')), true);
  assert.equal(bloomMayContain(b2, Buffer.from('GET')), false);
});

test('queries skip chunks whose bloom rules out the needle and still find every match', async (t) => {
  const store = await openStore(tempDir(t), { config: { chunk_target_size: 4000 } });
  t.after(() => store.stop());
  const lines = Array.from({ length: 2000 }, (_, i) => `request ${i} handled in ${i % 97}ms by worker-${i % 13}`);
  lines[1234] = 'request 1234 failed: needle-XJ42 exploded';
  await store.append('fake', { streams: [{ labels: { app: 'b' }, ts: lines.map((_, i) => T0 + i), lines }] });
  await store.flush();
  const chunks = store.stats().chunks;
  assert.ok(chunks >= 10, `${chunks} chunks`);
  const found = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'b' }], lineFilters: [{ op: '|=', value: 'needle-XJ42' }] }));
  assert.deepEqual(found.map((r) => r[2]), [lines[1234]]);
  const s = store.stats();
  assert.ok(s.chunksSkippedByBloom >= chunks - 2, `skipped ${s.chunksSkippedByBloom} of ${chunks}`);
  assert.ok(s.chunksRead <= 2);
  // a needle present in every chunk skips none
  const readBefore = store.stats().chunksRead;
  const all = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'b' }], lineFilters: [{ op: '|=', value: 'worker-1' }] }));
  assert.equal(all.length, lines.filter((l) => l.includes('worker-1')).length);
  assert.equal(store.stats().chunksRead - readBefore, chunks);
});

test('the worker pool returns the same results as inline scanning', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { config: { chunk_target_size: 3000 }, scanWorkers: 2 });
  t.after(() => store.stop());
  const lines = Array.from({ length: 3000 }, (_, i) => `event ${i} status=${i % 5 === 0 ? 'error' : 'ok'} shard=${i % 4}`);
  await store.append('fake', {
    streams: [0, 1, 2].map((s) => ({ labels: { app: 'p', shard: String(s) }, ts: lines.map((_, i) => T0 + i * 3 + s), lines: lines.map((l) => `${l} s${s}`) })),
  });
  await store.flush();
  assert.ok(store.stats().chunks >= 8);
  const q = { matchers: [{ name: 'app', op: '=' as const, value: 'p' }], lineFilters: [{ op: '|=' as const, value: 'status=error' }, { op: '!~' as const, value: 'shard=3' }] };
  const viaPool = rows(await collect(store, q));
  assert.equal(store.stats().chunksScannedInWorkers, store.stats().chunks, 'every chunk went through a worker');
  await store.stop();
  const inline = await openStore(dir, { scanWorkers: 0 });
  t.after(() => inline.stop());
  assert.deepEqual(viaPool, rows(await collect(inline, q)));
  assert.equal(viaPool.length, lines.filter((l) => l.includes('status=error') && !l.includes('shard=3')).length * 3);
});

test('idle scan workers exit and are started again by the next scan', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, { config: { chunk_target_size: 3000 }, scanWorkers: 2, scanWorkerIdleMs: 100 });
  t.after(() => store.stop());
  const lines = Array.from({ length: 2000 }, (_, i) => `event ${i} status=${i % 7 === 0 ? 'error' : 'ok'}`);
  await store.append('fake', { streams: [{ labels: { app: 'idle' }, ts: lines.map((_, i) => T0 + i), lines }] });
  await store.flush();
  const q = { matchers: [{ name: 'app', op: '=' as const, value: 'idle' }], lineFilters: [{ op: '|=' as const, value: 'status=error' }] };
  const first = rows(await collect(store, q));
  assert.ok(store.stats().scanWorkersRunning > 0, 'workers started on first use');
  const scanned = store.stats().chunksScannedInWorkers;
  assert.ok(scanned > 0);
  const deadline = Date.now() + 5000;
  while (store.stats().scanWorkersRunning > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(store.stats().scanWorkersRunning, 0, 'idle workers exited');
  assert.deepEqual(rows(await collect(store, q)), first);
  assert.equal(store.stats().chunksScannedInWorkers, 2 * scanned, 'the pool was not marked broken: workers again');
});
