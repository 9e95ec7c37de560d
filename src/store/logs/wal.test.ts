import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { collect, openStore, rows, T0, tempDir } from './testdata/helpers.js';
import { Wal } from './wal.js';

test('thousands of concurrent appends share fsyncs (group commit) and all survive a reopen', async (t) => {
  const dir = tempDir(t);
  const reg = new Registry();
  const store = await openStore(dir, { registry: reg });
  const n = 1500; // > IOV_MAX frames in one vectored write
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => store.append('fake', { streams: [{ labels: { app: 'gc' }, ts: [T0 + i], lines: [`concurrent ${i}`] }] })),
  );
  assert.ok(results.every((r) => r.accepted === 1));
  const fsyncs = (await reg.getSingleMetric('vigil_store_wal_fsync_duration_seconds')?.get())?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
  assert.ok(fsyncs > 0 && fsyncs < n / 10, `${fsyncs} fsyncs for ${n} appends`);
  // abandon without stop (crash): the WAL alone must bring everything back
  assert.equal(store.stats().chunks, 0);
  await store.abandon();
  const again = await openStore(dir);
  t.after(() => again.stop());
  const got = rows(await collect(again, { matchers: [{ name: 'app', op: '=', value: 'gc' }] }));
  assert.equal(got.length, n);
  assert.deepEqual(got.map((r) => r[2]).slice(0, 2), ['concurrent 0', 'concurrent 1']);
});

test('reopening after a run that wrote nothing never checkpoints away the live segment', async (t) => {
  const dir = tempDir(t);
  const hooks = { logger: pino({ level: 'silent' }), onCorruption: () => undefined };
  const first = await Wal.open(dir, hooks, 0, () => undefined);
  await first.close();
  const second = await Wal.open(dir, hooks, 0, () => undefined);
  await second.append(Buffer.from('payload'), () => undefined);
  second.deleteBefore(Number.MAX_SAFE_INTEGER);
  const live = second.list().at(-1)?.path as string;
  assert.ok(existsSync(live), 'the segment being written still exists');
  await second.close();
  const seen: Buffer[] = [];
  const third = await Wal.open(dir, hooks, 0, (_lsn, p) => void seen.push(Buffer.from(p)));
  await third.close();
  assert.deepEqual(seen.map((b) => b.toString()), ['payload']);
});
