import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { collect, openStore, rows, SEC, T0, tempDir } from './testdata/helpers.js';

test('limits refuse streams and entries with clear reasons; the rest of the batch is stored', async (t) => {
  const reg = new Registry();
  const now = T0 + 30 * 86_400 * SEC;
  const store = await openStore(tempDir(t), {
    registry: reg,
    now: () => now,
    config: {
      max_label_names_per_series: 3, max_label_name_length: 10, max_label_value_length: 8, max_streams_per_tenant: 2,
      max_line_size: 16, reject_old_samples_max_age: '168h', creation_grace_period: '10m',
    },
  });
  t.after(() => store.stop());
  const r = await store.append('fake', {
    streams: [
      { labels: { a: '1', b: '2', c: '3', d: '4' }, ts: [now], lines: ['x'] },
      { labels: { averyverylongname: '1' }, ts: [now], lines: ['x'] },
      { labels: { a: 'too-long-value' }, ts: [now], lines: ['x'] },
      { labels: { 'bad-name': '1' }, ts: [now], lines: ['x'] },
      { labels: { app: 'ok' }, ts: [now, now - 8 * 86_400 * SEC, now + 11 * 60 * SEC, now, now - 9 * 86_400 * SEC], lines: ['fine', 'old', 'future', 'x'.repeat(17), 'older'] },
      { labels: { app: 'two' }, ts: [now], lines: ['second stream'] },
      { labels: { app: 'three' }, ts: [now, now], lines: ['over the', 'stream limit'] },
      { labels: { app: 'ok' }, ts: [1.5], lines: ['fractional ts'] },
    ],
  });
  assert.equal(r.accepted, 2);
  const reasons = r.rejected.map((x) => `${x.stream} ${x.code} ${x.count} ${x.reason}`);
  const expect = (re: RegExp) => assert.ok(reasons.some((x) => re.test(x)), `no rejection matching ${re}:\n${reasons.join('\n')}`);
  expect(/^0 LIMIT_EXCEEDED 1 stream \{a="1", b="2", c="3", d="4"\}: 4 labels, the limit is 3$/);
  expect(/^1 LIMIT_EXCEEDED 1 .*label name of 17 characters, the limit is 10/);
  expect(/^2 LIMIT_EXCEEDED 1 .*label a has a value of 14 characters, the limit is 8/);
  expect(/^3 BAD_REQUEST 1 .*invalid label name "bad-name"/);
  expect(/^4 LIMIT_EXCEEDED 2 stream \{app="ok"\}: 2 entries refused \(too_old\); first at entry 1: timestamp .* is older than 7d/);
  expect(/^4 LIMIT_EXCEEDED 1 .*\(too_far_in_future\); first at entry 2: .*more than 10m in the future/);
  expect(/^4 LIMIT_EXCEEDED 1 .*\(line_too_long\); first at entry 3: line of 17 bytes, the limit is 16/);
  expect(/^6 LIMIT_EXCEEDED 2 stream \{app="three"\}: tenant fake already has 2 active streams, the limit is 2/);
  expect(/^7 BAD_REQUEST 1 .*not a non-negative integer/);
  const stored = rows(await collect(store, { matchers: [{ name: 'app', op: '=~', value: '.+' }] }));
  assert.deepEqual(stored.map((x) => x[2]), ['fine', 'second stream']);
  const rejected = (await reg.getSingleMetric('vigil_store_rejected_entries_total')?.get())?.values ?? [];
  assert.equal(rejected.find((v) => v.labels.reason === 'too_old')?.value, 2);
  assert.equal(rejected.find((v) => v.labels.reason === 'too_many_streams')?.value, 2);
  // other tenants have their own stream budget
  assert.equal((await store.append('team-b', { streams: [{ labels: { app: 'three' }, ts: [now], lines: ['ok'] }] })).accepted, 1);
  // streams whose entries are all in chunks are no longer active: room for new ones
  await store.flush();
  assert.equal((await store.append('fake', { streams: [{ labels: { app: 'three' }, ts: [now], lines: ['now ok'] }] })).accepted, 1);
});

test('append on a stopped store rejects; stop is idempotent', async (t) => {
  const store = await openStore(tempDir(t));
  await store.stop();
  await store.stop();
  await assert.rejects(store.append('fake', { streams: [{ labels: { a: '1' }, ts: [T0], lines: ['x'] }] }), /closed/);
});

test('malformed streams are refused one by one, never crash the append', async (t) => {
  const store = await openStore(tempDir(t));
  t.after(() => store.stop());
  const garbage = [
    null,
    { labels: null, ts: [T0], lines: ['x'] },
    { labels: { a: 1 }, ts: [T0], lines: ['x'] },
    { labels: { a: 'x' }, ts: 'nope', lines: ['x'] },
    { labels: { a: 'x' }, ts: [T0, T0], lines: ['only one'] },
    { labels: { a: 'x' }, ts: ['12'], lines: ['string ts'] },
    { labels: { a: 'x' }, ts: [T0], lines: [42] },
    { labels: {}, ts: [T0], lines: ['no labels'] },
    { labels: { a: 'good' }, ts: [T0], lines: ['kept'] },
  ];
  const r = await store.append('fake', { streams: garbage as never });
  assert.equal(r.accepted, 1);
  assert.deepEqual(r.rejected.map((x) => x.stream).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(r.rejected.every((x) => x.code === 'BAD_REQUEST' && x.reason.length > 10));
  assert.deepEqual(rows(await collect(store, { matchers: [{ name: 'a', op: '=', value: 'good' }] })).map((x) => x[2]), ['kept']);
  await assert.rejects(store.append('fake', { streams: 'nope' } as never), /batch.streams must be an array/);
  const badTenant = await store.append('', { streams: [{ labels: { a: 'x' }, ts: [T0], lines: ['x'] }] });
  assert.equal(badTenant.accepted, 0);
  assert.match(badTenant.rejected[0]?.reason ?? '', /tenant/);
});
