import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { isStaleNaN, STALE_NAN } from '../../query/promql/storage.js';
import { metricValue, TEST_LIMITS, testServer } from '../../server/testing/harness.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { MetricsStore } from '../../store/metrics/index.js';
import { FanoutAppender } from './fanout.js';
import { RemoteWriteSender } from './sender.js';
import { scriptedReceiver, testConfig, until } from './testing.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-rw-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A Vigil server (buildServer + a real MetricsStore) on `port`; its store directory survives close. */
async function vigilReceiver(storeDir: string, port = 0) {
  const metricsStore = await MetricsStore.open({ dir: storeDir, config: {}, logger: silent });
  const t = await testServer({ metricsStore, limits: { ...TEST_LIMITS, maxBodyBytes: 16 * 1024 * 1024 } });
  await t.app.listen({ host: '127.0.0.1', port });
  const bound = (t.app.server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/api/v1/write`,
    metricsStore,
    async close() {
      await t.app.close();
      await metricsStore.stop();
    },
  };
}

const T0 = 1_800_000_000_000;

describe('RemoteWriteSender', () => {
  it('delivers everything to Vigil\'s receiver across a receiver restart, in order per series', async () => {
    const storeDir = tempDir();
    let rx = await vigilReceiver(storeDir);
    const registry = new Registry();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url, {}, { min_shards: 3, max_shards: 3, max_samples_per_send: 7 }), dataDir: tempDir(), logger: silent, registry });
    await sender.start();
    const SERIES = 10;
    const ROUNDS = 30;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (round === 10) await rx.close();
        if (round === 20) rx = await vigilReceiver(storeDir, rx.port);
        const series = Array.from({ length: SERIES }, (_, i) => ({ labels: { __name__: 'rw_test', series: String(i) }, t: [T0 + round * 1000], v: Float64Array.of(round) }));
        const res = await sender.append(DEFAULT_TENANT, series);
        assert.deepEqual(res, { accepted: SERIES, rejected: [] }, 'append resolves while the receiver is down (buffered)');
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => sender.stats().pendingBytes === 0, 15_000, 'the buffer to drain');
      const got = await rx.metricsStore.querier(DEFAULT_TENANT).select([{ name: '__name__', op: '=', value: 'rw_test' }], T0, T0 + ROUNDS * 1000);
      assert.equal(got.length, SERIES);
      for (const s of got) assert.deepEqual([...s.v], Array.from({ length: ROUNDS }, (_, r) => r), `series ${s.labels.series}: all samples, in order`);
      assert.equal(await metricValue(registry, 'vigil_remote_write_failed_samples_total'), 0, 'no sample refused (out of order would be)');
      assert.ok(await metricValue(registry, 'vigil_remote_write_retried_samples_total') > 0, 'the outage caused retries');
      assert.ok(await metricValue(registry, 'vigil_remote_write_samples_total') >= SERIES * ROUNDS);
      assert.equal(await metricValue(registry, 'vigil_remote_write_shards'), 3);
      assert.equal(await metricValue(registry, 'vigil_remote_write_highest_timestamp_seconds'), (T0 + (ROUNDS - 1) * 1000) / 1000);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('keeps staleness markers byte-exact through the disk buffer to the store', async () => {
    const rx = await vigilReceiver(tempDir());
    const sender = new RemoteWriteSender({ config: testConfig(rx.url), dataDir: tempDir(), logger: silent });
    await sender.start();
    try {
      await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'gone', job: 'x' }, t: [T0, T0 + 15_000], v: Float64Array.of(1, STALE_NAN) }]);
      await until(() => sender.stats().pendingBytes === 0, 5000, 'delivery');
      const [s] = await rx.metricsStore.querier(DEFAULT_TENANT).select([{ name: '__name__', op: '=', value: 'gone' }], T0, T0 + 20_000);
      assert.equal(s?.v.length, 2);
      assert.equal(s?.v[0], 1);
      assert.ok(isStaleNaN(s?.v[1] as number), 'the second sample arrived as a staleness marker');
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('drops a batch refused with 400 (counted, logged with the server\'s message) and goes on', async () => {
    const rx = await scriptedReceiver();
    rx.answer = (_r, n) => (n === 0 ? { status: 400, body: 'out of order sample' } : { status: 204 });
    const registry = new Registry();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const sender = new RemoteWriteSender({ config: testConfig(rx.url, { headers: { 'X-Custom': 'yes' } }), dataDir: tempDir(), logger, registry });
    await sender.start();
    try {
      await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0, T0 + 1], v: [1, 2] }]);
      await until(() => rx.requests.length === 1 && sender.stats().pendingBytes === 0, 5000, 'the refused batch to be dropped');
      await sender.append('team-a', [{ labels: { __name__: 'b' }, t: [T0], v: [3] }]);
      await until(() => rx.requests.length === 2 && sender.stats().pendingBytes === 0, 5000, 'the next batch');
      assert.equal(await metricValue(registry, 'vigil_remote_write_failed_samples_total'), 2);
      assert.equal(await metricValue(registry, 'vigil_remote_write_retried_samples_total'), 0, 'a 400 is never retried');
      assert.equal(await metricValue(registry, 'vigil_remote_write_samples_total'), 1);
      assert.ok(lines.some((l) => l.includes('non-recoverable') && l.includes('out of order sample') && l.includes('"status":400')), lines.join(''));
      const [first, second] = rx.requests;
      assert.equal(first?.headers['content-encoding'], 'snappy');
      assert.equal(first?.headers['content-type'], 'application/x-protobuf');
      assert.equal(first?.headers['x-prometheus-remote-write-version'], '0.1.0');
      assert.match(String(first?.headers['user-agent']), /^Vigil\/\d/);
      assert.equal(first?.headers['x-custom'], 'yes');
      assert.equal(first?.headers['x-scope-orgid'], undefined, 'the default tenant sends no tenant header');
      assert.equal(second?.headers['x-scope-orgid'], 'team-a');
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('retries a 429 after the Retry-After the server asked for', async () => {
    const rx = await scriptedReceiver();
    rx.answer = (_r, n) => (n === 0 ? { status: 429, body: 'slow down', headers: { 'retry-after': '1' } } : { status: 204 });
    const registry = new Registry();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url), dataDir: tempDir(), logger: silent, registry });
    await sender.start();
    try {
      await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0], v: [1] }]);
      await until(() => rx.requests.length === 2, 5000, 'the retry');
      const [a, b] = rx.requests;
      assert.ok((b?.at ?? 0) - (a?.at ?? 0) >= 950, `retried after ${(b?.at ?? 0) - (a?.at ?? 0)} ms, wanted >= 1 s`);
      assert.equal(await metricValue(registry, 'vigil_remote_write_retried_samples_total'), 1);
      await until(() => sender.stats().pendingBytes === 0, 2000, 'the ack');
      assert.equal(await metricValue(registry, 'vigil_remote_write_failed_samples_total'), 0);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('drops a 429 as failed when retry_on_http_429 is off; retries 5xx with backoff', async () => {
    const rx = await scriptedReceiver();
    rx.answer = (_r, n) => (n === 0 ? { status: 429 } : n < 3 ? { status: 503 } : { status: 204 });
    const registry = new Registry();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url, {}, { retry_on_http_429: false }), dataDir: tempDir(), logger: silent, registry });
    await sender.start();
    try {
      await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0], v: [1] }]);
      await until(() => rx.requests.length === 1 && sender.stats().pendingBytes === 0, 5000, 'the drop');
      assert.equal(await metricValue(registry, 'vigil_remote_write_failed_samples_total'), 1);
      await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0 + 1], v: [2] }]);
      await until(() => rx.requests.length === 4 && sender.stats().pendingBytes === 0, 5000, 'retries of the 503s');
      const gaps = [rx.requests[2]!.at - rx.requests[1]!.at, rx.requests[3]!.at - rx.requests[2]!.at];
      assert.ok(gaps[0]! >= 8 && gaps[1]! >= 18, `exponential backoff from 10ms: ${gaps.join(', ')}`);
      assert.equal(await metricValue(registry, 'vigil_remote_write_retried_samples_total'), 2);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('blocks when the buffer is full, and a restarted sender delivers the whole buffer', async () => {
    const rx = await scriptedReceiver();
    rx.answer = () => ({ status: 503, body: 'down' });
    const dataDir = tempDir();
    const cfg = testConfig(rx.url, { buffer: { max_size: '64KiB' } }, { max_samples_per_send: 1000 });
    const sender = new RemoteWriteSender({ config: cfg, dataDir, logger: silent });
    await sender.start();
    const batch = (k: number) => Array.from({ length: 20 }, (_, i) => ({ labels: { __name__: 'fill', i: String(i) }, t: [T0 + k], v: Float64Array.of(k) }));
    let k = 0;
    await sender.append(DEFAULT_TENANT, batch(k++));
    const step = sender.stats().pendingBytes;
    while (sender.stats().pendingBytes + step <= 64 * 1024) await sender.append(DEFAULT_TENANT, batch(k++));
    // The next one does not fit: it must wait for space the dead receiver never frees.
    const blocked = sender.append(DEFAULT_TENANT, batch(k)).then(() => 'resolved', (e: unknown) => String(e));
    assert.equal(await Promise.race([blocked, new Promise((r) => setTimeout(() => r('still waiting'), 500))]), 'still waiting');
    assert.ok(k > 10, `${k} batches filled 64 KiB`);
    await sender.stop();
    assert.match(await blocked, /stopping/, 'a blocked append is refused when the sender stops');

    rx.answer = () => ({ status: 204 });
    const registry = new Registry();
    const again = new RemoteWriteSender({ config: cfg, dataDir, logger: silent, registry });
    await again.start();
    try {
      await until(() => again.stats().pendingBytes === 0, 10_000, 'the resumed buffer to drain');
      const seen = new Map<string, number[]>();
      for (const r of rx.requests.filter((x) => x.status === 204)) for (const s of r.series) seen.set(s.labels.i as string, [...(seen.get(s.labels.i as string) ?? []), ...s.t]);
      assert.equal(seen.size, 20);
      for (const [i, ts] of seen) assert.deepEqual(ts, Array.from({ length: k }, (_, j) => T0 + j), `series ${i}: every buffered sample once, in order`);
      assert.equal(await metricValue(registry, 'vigil_remote_write_samples_total'), 20 * k);
    } finally {
      await again.stop();
      await rx.close();
    }
  });

  it('refuses new samples when full with when_full: drop_newest, counted', async () => {
    const rx = await scriptedReceiver();
    rx.answer = () => ({ status: 503 });
    const registry = new Registry();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url, { buffer: { max_size: '64KiB', when_full: 'drop_newest' } }), dataDir: tempDir(), logger: silent, registry });
    await sender.start();
    try {
      let refused = 0;
      for (let k = 0; k < 400 && refused === 0; k++) {
        const res = await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'x', n: 'a'.repeat(200) }, t: [T0 + k], v: [k] }]);
        if (res.rejected.length > 0) {
          assert.deepEqual(res, { accepted: 0, rejected: [{ series: 0, count: 1, reason: 'remote write buffer full (test, when_full: drop_newest)' }] });
          refused++;
        }
      }
      assert.equal(refused, 1);
      assert.equal(await metricValue(registry, 'vigil_remote_write_dropped_samples_total', { reason: 'buffer_full' }), 1);
      assert.ok(await metricValue(registry, 'vigil_remote_write_pending_bytes') > 60_000);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('applies write_relabel_configs and refuses invalid series in the result', async () => {
    const rx = await scriptedReceiver();
    const registry = new Registry();
    const sender = new RemoteWriteSender({
      config: testConfig(rx.url, { write_relabel_configs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }, { target_label: 'cluster', replacement: 'eu1' }] }),
      dataDir: tempDir(), logger: silent, registry,
    });
    await sender.start();
    try {
      const res = await sender.append(DEFAULT_TENANT, [
        { labels: { __name__: 'go_goroutines' }, t: [T0], v: [5] },
        { labels: { __name__: 'up', job: 'a' }, t: [T0], v: [1] },
        { labels: { job: 'nameless' }, t: [T0], v: [1] },
        { labels: { __name__: 'bad', 'a-b': 'x' }, t: [T0], v: [1] },
        { labels: { __name__: 'frac' }, t: [T0 + 0.5], v: [1] },
        { labels: { __name__: 'short' }, t: [T0, T0 + 1], v: [1] },
      ]);
      assert.equal(res.accepted, 2);
      assert.deepEqual(res.rejected.map((r) => [r.series, r.count]), [[2, 1], [3, 1], [4, 1], [5, 2]]);
      assert.match(res.rejected[0]!.reason, /missing metric name/);
      await until(() => rx.requests.length === 1, 5000, 'delivery');
      assert.deepEqual(rx.requests[0]?.series.map((s) => s.labels), [{ __name__: 'up', cluster: 'eu1', job: 'a' }]);
      assert.equal(await metricValue(registry, 'vigil_remote_write_dropped_samples_total', { reason: 'relabel' }), 1);
      assert.equal(await metricValue(registry, 'vigil_remote_write_dropped_samples_total', { reason: 'invalid' }), 5);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('stop abandons a hung request after the grace period; the next start sends it again', async () => {
    const rx = await scriptedReceiver();
    rx.answer = () => ({ status: 204, delayMs: 60_000 });
    const dataDir = tempDir();
    const cfg = testConfig(rx.url);
    const sender = new RemoteWriteSender({ config: cfg, dataDir, logger: silent, stopGraceMs: 200 });
    await sender.start();
    await sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'hung' }, t: [T0], v: [1] }]);
    await until(() => rx.requests.length === 1, 5000, 'the request');
    const t = Date.now();
    await sender.stop();
    assert.ok(Date.now() - t < 2000, `stop took ${Date.now() - t} ms`);
    await sender.stop(); // idempotent
    await assert.rejects(sender.append(DEFAULT_TENANT, [{ labels: { __name__: 'hung' }, t: [T0 + 1], v: [2] }]), /not running/);
    rx.answer = () => ({ status: 204 });
    const again = new RemoteWriteSender({ config: cfg, dataDir, logger: silent });
    await again.start();
    try {
      await until(() => rx.requests.length === 2 && again.stats().pendingBytes === 0, 5000, 'the resend');
      assert.deepEqual(rx.requests[1]?.series.map((x) => [x.labels.__name__, x.t]), [['hung', [T0]]]);
    } finally {
      await again.stop();
      await rx.close();
    }
  });

  it('sends credentials, re-reading secret files for each request', async () => {
    const rx = await scriptedReceiver();
    const d = tempDir();
    writeFileSync(join(d, 'token'), 'tok-1\n');
    writeFileSync(join(d, 'pw'), 'pw-1');
    const bearer = new RemoteWriteSender({ config: testConfig(rx.url, { authorization: { credentials_file: join(d, 'token') } }), dataDir: tempDir(), logger: silent });
    const basic = new RemoteWriteSender({ config: testConfig(rx.url, { name: 'basic', basic_auth: { username: 'vigil', password_file: join(d, 'pw') } }), dataDir: tempDir(), logger: silent });
    await bearer.start();
    await basic.start();
    try {
      await bearer.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0], v: [1] }]);
      await until(() => rx.requests.length === 1, 5000, 'the first request');
      writeFileSync(join(d, 'token'), 'tok-2');
      await bearer.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0 + 1], v: [1] }]);
      await until(() => rx.requests.length === 2, 5000, 'the second request');
      await basic.append(DEFAULT_TENANT, [{ labels: { __name__: 'a' }, t: [T0], v: [1] }]);
      await until(() => rx.requests.length === 3, 5000, 'the basic auth request');
      assert.deepEqual(rx.requests.map((r) => r.headers.authorization), ['Bearer tok-1', 'Bearer tok-2', `Basic ${Buffer.from('vigil:pw-1').toString('base64')}`]);
    } finally {
      await bearer.stop();
      await basic.stop();
      await rx.close();
    }
  });

  it('adds shards when the receiver is slow, keeping every series in order', async () => {
    const rx = await scriptedReceiver();
    rx.answer = () => ({ status: 204, delayMs: 40 });
    const registry = new Registry();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url, {}, { min_shards: 1, max_shards: 4, max_samples_per_send: 10 }), dataDir: tempDir(), logger: silent, registry, reshardIntervalMs: 100 });
    await sender.start();
    const SERIES = 40;
    let rounds = 0;
    try {
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        await sender.append(DEFAULT_TENANT, Array.from({ length: SERIES }, (_, i) => ({ labels: { __name__: 'busy', i: String(i) }, t: [T0 + rounds], v: Float64Array.of(rounds) })));
        rounds++;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await metricValue(registry, 'vigil_remote_write_shards'), 4, 'resharded up to max_shards');
      await until(() => sender.stats().pendingBytes === 0, 30_000, 'the backlog to drain');
      const seen = new Map<string, number[]>();
      for (const r of rx.requests) for (const s of r.series) seen.set(s.labels.i as string, [...(seen.get(s.labels.i as string) ?? []), ...s.t]);
      assert.equal(seen.size, SERIES);
      for (const [i, t] of seen) assert.deepEqual(t, Array.from({ length: rounds }, (_, j) => T0 + j), `series ${i}: complete and in order across resharding`);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });

  it('a fan-out returns the store\'s result and survives a stopped sender', async () => {
    const storeDir = tempDir();
    const store = await MetricsStore.open({ dir: storeDir, config: {}, logger: silent });
    const rx = await scriptedReceiver();
    const sender = new RemoteWriteSender({ config: testConfig(rx.url), dataDir: tempDir(), logger: silent });
    await sender.start();
    const fan = new FanoutAppender(store, [sender], silent);
    try {
      const res = await fan.append(DEFAULT_TENANT, [{ labels: { __name__: 'f' }, t: [T0], v: [1] }, { labels: { job: 'x' }, t: [T0], v: [1] }]);
      assert.equal(res.accepted, 1);
      assert.equal(res.rejected[0]?.series, 1);
      await until(() => rx.requests.length === 1, 5000, 'the sender\'s copy');
      assert.deepEqual(rx.requests[0]?.series.map((s) => s.labels), [{ __name__: 'f' }]);
      await sender.stop();
      const res2 = await fan.append(DEFAULT_TENANT, [{ labels: { __name__: 'f' }, t: [T0 + 1], v: [2] }]);
      assert.deepEqual(res2, { accepted: 1, rejected: [] });
      await store.stop();
      await assert.rejects(fan.append(DEFAULT_TENANT, [{ labels: { __name__: 'f' }, t: [T0 + 2], v: [3] }]), /stopped/);
    } finally {
      await sender.stop();
      await rx.close();
    }
  });
});
