import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLabels, type Labels } from '../../core/labels.js';
import { collect, openStore, rows, SEC, T0, tempDir } from './testdata/helpers.js';

const API = { service: 'api', level: 'info' };
const API_ERR = { service: 'api', level: 'error' };
const WEB = { service: 'web', level: 'info' };
const k = (l: Labels) => formatLabels(l);

/** 3 streams, entries interleaved in time, some appended out of order. */
async function seed(store: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  await store.append('fake', {
    streams: [
      { labels: API, ts: [T0 + 1 * SEC, T0 + 4 * SEC, T0 + 7 * SEC], lines: ['GET /a 200', 'GET /b 200', 'GET /c 500'] },
      { labels: WEB, ts: [T0 + 2 * SEC, T0 + 5 * SEC], lines: ['render home', 'render about'] },
    ],
  });
  await store.append('fake', {
    streams: [
      { labels: API_ERR, ts: [T0 + 3 * SEC, T0 + 6 * SEC], lines: ['timeout talking to db', 'connection refused'] },
      // out of order within the stream: earlier than what API already has
      { labels: API, ts: [T0 + 0 * SEC], lines: ['GET /first 200'] },
    ],
  });
}

test('append then select in time order, both directions, across head and chunks', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  t.after(() => store.stop());
  await seed(store);
  const check = async (stage: string) => {
    const fwd = rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: 'api|web' }] }));
    assert.deepEqual(fwd.map((r) => r[1] - T0), [0, 1, 2, 3, 4, 5, 6, 7].map((s) => s * SEC), stage);
    assert.deepEqual(fwd[0], [k(API), T0, 'GET /first 200']);
    assert.deepEqual(fwd[3], [k(API_ERR), T0 + 3 * SEC, 'timeout talking to db']);
    const bwd = rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: '.+' }], direction: 'backward' }));
    assert.deepEqual(bwd, [...fwd].reverse(), stage);
  };
  await check('head');
  await store.flush();
  assert.equal(store.stats().headEntries, 0);
  assert.ok(store.stats().chunks >= 3);
  await check('chunks');
  // more out-of-order data into a fresh head overlapping the chunks
  await store.append('fake', { streams: [{ labels: API, ts: [T0 + 4.5 * SEC], lines: ['GET /late 200'] }] });
  const r = rows(await collect(store, { matchers: [{ name: 'service', op: '=', value: 'api' }, { name: 'level', op: '=', value: 'info' }] }));
  assert.deepEqual(r.map((x) => x[2]), ['GET /first 200', 'GET /a 200', 'GET /b 200', 'GET /late 200', 'GET /c 500']);
  // reopen: the WAL replays the head, chunks come from the catalog
  await store.stop();
  const again = await openStore(dir);
  t.after(() => again.stop());
  const r2 = rows(await collect(again, { matchers: [{ name: 'service', op: '=', value: 'api' }, { name: 'level', op: '=', value: 'info' }] }));
  assert.deepEqual(r2, r);
});

test('stream order: each batch one stream, consecutive entries in direction order', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  await seed(store);
  await store.flush();
  await store.append('fake', { streams: [{ labels: WEB, ts: [T0 + 1.5 * SEC], lines: ['render late'] }] });
  for (const direction of ['forward', 'backward'] as const) {
    const batches = await collect(store, { matchers: [{ name: 'level', op: '=', value: 'info' }], order: 'stream', direction });
    const byKey = new Map<string, number[]>();
    for (const b of batches) byKey.set(b.key, [...(byKey.get(b.key) ?? []), ...b.ts]);
    const web = byKey.get(k(WEB)) ?? [];
    const expected = [T0 + 1.5 * SEC, T0 + 2 * SEC, T0 + 5 * SEC];
    assert.deepEqual(web, direction === 'forward' ? expected : [...expected].reverse());
    assert.equal(byKey.get(k(API))?.length, 4);
    assert.equal(byKey.has(k(API_ERR)), false);
  }
});

test('matchers: equality, regex, negative, missing label; time range is [start, end)', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  await seed(store);
  const keys = async (m: Parameters<typeof collect>[1]['matchers'], extra: { start?: number; end?: number } = {}) =>
    [...new Set(rows(await collect(store, { matchers: m, ...extra })).map((r) => r[0]))].sort();
  assert.deepEqual(await keys([{ name: 'level', op: '!=', value: 'info' }]), [k(API_ERR)]);
  assert.deepEqual(await keys([{ name: 'service', op: '!~', value: 'ap.' }]), [k(WEB)]);
  assert.deepEqual(await keys([{ name: 'service', op: '=~', value: 'ap' }]), []); // anchored
  assert.deepEqual(await keys([{ name: 'host', op: '=', value: '' }]), [k(API_ERR), k(API), k(WEB)].sort());
  assert.deepEqual(await keys([{ name: 'host', op: '=', value: 'x' }]), []);
  const inRange = rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: '.*' }], start: T0 + 2 * SEC, end: T0 + 5 * SEC }));
  assert.deepEqual(inRange.map((r) => (r[1] - T0) / SEC), [2, 3, 4]);
});

test('line filters: substring, negation, regex (with (?i)), combined; in head and chunks', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  await seed(store);
  const lines = async (f: Parameters<typeof collect>[1]['lineFilters']) =>
    rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: '.+' }], lineFilters: f })).map((r) => r[2]);
  for (const stage of ['head', 'chunks']) {
    if (stage === 'chunks') await store.flush();
    assert.deepEqual(await lines([{ op: '|=', value: 'GET' }, { op: '!=', value: '200' }]), ['GET /c 500'], stage);
    assert.deepEqual(await lines([{ op: '|~', value: 'render (home|about)' }]), ['render home', 'render about'], stage);
    assert.deepEqual(await lines([{ op: '|~', value: '(?i)CONNECTION' }]), ['connection refused'], stage);
    assert.deepEqual(await lines([{ op: '!~', value: '^GET' }, { op: '|=', value: 'o' }]), ['render home', 'timeout talking to db', 'render about', 'connection refused'], stage);
    assert.deepEqual(await lines([{ op: '|=', value: 'nowhere-to-be-found' }]), [], stage);
  }
  await assert.rejects(async () => lines([{ op: '|~', value: '(' }]), /invalid line filter regex/);
});

test('skipLines returns timestamps only', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  await seed(store);
  await store.flush();
  const b = rows(await collect(store, { matchers: [{ name: 'service', op: '=', value: 'api' }], skipLines: true }));
  assert.equal(b.length, 6);
  assert.ok(b.every((r) => r[2] === ''));
});

test('tenants are isolated in select, series, labelNames and labelValues', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  await seed(store);
  await store.append('team-b', { streams: [{ labels: { service: 'billing', region: 'eu' }, ts: [T0 + SEC], lines: ['invoice sent'] }] });
  assert.deepEqual(rows(await collect(store, { tenant: 'team-b', matchers: [{ name: 'service', op: '=~', value: '.+' }] })).map((r) => r[2]), ['invoice sent']);
  assert.equal(rows(await collect(store, { matchers: [{ name: 'service', op: '=', value: 'billing' }] })).length, 0);
  assert.deepEqual(await store.labelNames('team-b', 0, T0 * 2), ['region', 'service']);
  assert.deepEqual(await store.labelNames('fake', 0, T0 * 2), ['level', 'service']);
  assert.deepEqual(await store.labelValues('fake', 'service', 0, T0 * 2), ['api', 'web']);
  assert.deepEqual(await store.labelValues('fake', 'level', 0, T0 * 2, [{ name: 'service', op: '=', value: 'web' }]), ['info']);
  assert.deepEqual(await store.labelValues('nobody', 'service', 0, T0 * 2), []);
  const series = await store.series('fake', [[{ name: 'level', op: '=', value: 'error' }], [{ name: 'service', op: '=', value: 'web' }]], 0, T0 * 2);
  assert.deepEqual(series.map((s) => s.key), [k(API_ERR), k(WEB)].sort());
  // time range applies: web's entries are at +2s and +5s
  await store.flush();
  assert.deepEqual((await store.series('fake', [[{ name: 'service', op: '=', value: 'web' }]], T0 + 6 * SEC, T0 + 9 * SEC)).length, 0);
  assert.deepEqual((await store.series('fake', [[{ name: 'service', op: '=', value: 'web' }]], T0 + 5 * SEC, T0 + 9 * SEC)).length, 1);
  assert.deepEqual(await store.labelValues('fake', 'service', T0 + 6 * SEC, T0 + 8 * SEC), ['api']);
});

test('chunks are cut by size and by idle time', async (t) => {
  let now = T0 + 3600 * SEC;
  const store = await openStore(tempDir(t), { config: { chunk_target_size: 1000, chunk_idle_period: '1m' }, now: () => now });
  t.after(() => store.stop());
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
  await store.append('fake', { streams: [{ labels: API, ts: lines.map((_, i) => T0 + i), lines }] });
  await store.append('fake', { streams: [{ labels: WEB, ts: [T0], lines: ['small'] }] });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(store.stats().chunks >= 1, 'api head cut by size');
  const before = store.stats().chunks;
  now += 2 * 60 * SEC;
  store.cutIdle();
  await store.flush(); // waits for the writes
  assert.ok(store.stats().chunks > before);
  assert.equal(rows(await collect(store, { matchers: [{ name: 'service', op: '=~', value: '.+' }] })).length, 101);
});

test('multi-byte UTF-8 and multi-line entries survive WAL replay, out-of-order cuts and chunk reads', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  const lines = ['héllo wörld', 'emoji 🚀 launch', 'Error: boom\n    at f (x.js:1:1)\n    at g (y.js:2:2)', '日本語のログ', ''];
  await store.append('fake', { streams: [{ labels: { app: 'u' }, ts: [T0 + 5, T0 + 1, T0 + 4, T0 + 2, T0 + 3], lines }] });
  const expected = [[T0 + 1, lines[1]], [T0 + 2, lines[3]], [T0 + 3, ''], [T0 + 4, lines[2]], [T0 + 5, lines[0]]];
  const read = async (s: typeof store) => rows(await collect(s, { matchers: [{ name: 'app', op: '=', value: 'u' }] })).map((r) => [r[1], r[2]]);
  assert.deepEqual(await read(store), expected);
  const found = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'u' }], lineFilters: [{ op: '|=', value: '🚀 la' }] }));
  assert.equal(found.length, 1);
  await store.stop(); // flushes: chunks now
  const again = await openStore(dir);
  t.after(() => again.stop());
  assert.deepEqual(await read(again), expected);
  const inChunk = rows(await collect(again, { matchers: [{ name: 'app', op: '=', value: 'u' }], lineFilters: [{ op: '|=', value: '本語' }] }));
  assert.deepEqual(inChunk.map((r) => r[2]), ['日本語のログ']);
  const multi = rows(await collect(again, { matchers: [{ name: 'app', op: '=', value: 'u' }], lineFilters: [{ op: '|=', value: 'x.js:1:1)\n    at g' }] }));
  assert.equal(multi.length, 1);
});

test('chunks with many line blocks: lazy backward reads, filters across blocks, time range inside a chunk', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  const lines = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(5, '0')} ${'block-filler '.repeat(8)}${i === 2500 ? 'NEEDLE-IN-MIDDLE' : ''}`);
  await store.append('fake', { streams: [{ labels: { app: 'm' }, ts: lines.map((_, i) => T0 + i), lines }] });
  await store.flush();
  assert.equal(store.stats().chunks, 1);
  const newest: string[] = [];
  for await (const b of store.select({ tenant: 'fake', matchers: [{ name: 'app', op: '=', value: 'm' }], start: 0, end: T0 + 10_000, direction: 'backward', order: 'time' })) {
    newest.push(...b.lines);
    if (newest.length >= 10) break;
  }
  assert.deepEqual(newest.slice(0, 3).map((l) => l.slice(0, 5)), ['04999', '04998', '04997']);
  assert.ok(newest.length < 5000, 'only the last block was decoded');
  const all = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'm' }] }));
  assert.deepEqual(all.map((r) => r[2]), lines);
  const mid = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'm' }], start: T0 + 1000, end: T0 + 4000, direction: 'backward' }));
  assert.equal(mid.length, 3000);
  assert.equal(mid[0]?.[1], T0 + 3999);
  const hit = rows(await collect(store, { matchers: [{ name: 'app', op: '=', value: 'm' }], lineFilters: [{ op: '|=', value: 'NEEDLE-IN-MIDDLE' }] }));
  assert.deepEqual(hit.map((r) => r[1]), [T0 + 2500]);
});

test('start() runs the idle-cut timer; an aborted query stops with the abort reason', async (t) => {
  let now = T0 + 3600 * SEC;
  const store = await openStore(tempDir(t), { config: { chunk_idle_period: '1s', max_chunk_age: '1h' }, now: () => now });
  t.after(() => store.stop());
  await store.start();
  await store.append('fake', { streams: [{ labels: { app: 't' }, ts: [T0], lines: ['idle soon'] }] });
  now += 2 * SEC;
  const deadline = Date.now() + 5000;
  while (store.stats().chunks === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(store.stats().chunks, 1);
  assert.equal(store.stats().headEntries, 0);
  const ac = new AbortController();
  ac.abort(new Error('client went away'));
  await assert.rejects(async () => {
    for await (const _ of store.select({ tenant: 'fake', matchers: [{ name: 'app', op: '=', value: 't' }], start: 0, end: T0 + 1, direction: 'forward', order: 'time', signal: ac.signal })) void _;
  }, /client went away/);
});

test('a data directory is used by one store at a time', async (t) => {
  const dir = tempDir(t);
  const first = await openStore(dir);
  await first.append('fake', { streams: [{ labels: { app: 'l' }, ts: [T0], lines: ['mine'] }] });
  await assert.rejects(openStore(dir), /in use by another process/);
  await first.stop();
  const second = await openStore(dir);
  t.after(() => second.stop());
  assert.equal(rows(await collect(second, { matchers: [{ name: 'app', op: '=', value: 'l' }] })).length, 1);
});
