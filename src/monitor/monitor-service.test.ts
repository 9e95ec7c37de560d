import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { MetricsStore } from '../store/metrics/index.js';
import type { ProbeDefinition } from './probe.js';
import commandProbe from './probes/command/index.js';
import { lookup, MemoryAppender, monitors, scripted, service, silent, tempDir } from './testdata/helpers.js';

const ok = (ms = 5) => ({ success: true, durationSeconds: ms / 1000, samples: [] });
const bad = (reason: string) => ({ success: false, durationSeconds: 0.002, reason, samples: [{ name: 'probe_http_status_code', value: 503 }] });

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('retries: PENDING for N failures, DOWN after N+1, UP again on recovery; recorded with reasons', async () => {
  const dir = tempDir();
  scripted.set('svc-a', bad('status 503'));
  const registry = new Registry();
  const svc = service({ dataDir: dir, registry, monitors: monitors({ a: { type: 'fake', target: 'svc-a', interval: '100ms', timeout: '50ms', retries: 2 } }) });
  await svc.start();
  try {
    await until('DOWN', () => svc.status()[0]?.state === 'DOWN');
    const h1 = svc.history('a', 0);
    assert.ok(h1);
    assert.deepEqual(h1.transitions.map((t) => [t.from, t.to]), [['PENDING', 'DOWN']]);
    assert.equal(h1.transitions[0]?.reason, 'status 503');
    assert.ok(h1.runs.length >= 3 && h1.runs.slice(0, 3).every((r) => !r.success && r.reason === 'status 503'));
    assert.match(await registry.getSingleMetricAsString('vigil_monitor_up'), /vigil_monitor_up\{monitor="a"\} 0/);

    scripted.set('svc-a', ok());
    await until('UP', () => svc.status()[0]?.state === 'UP');
    const h2 = svc.history('a', 0);
    assert.deepEqual(h2?.transitions.map((t) => t.to), ['DOWN', 'UP']);
    assert.match(await registry.getSingleMetricAsString('vigil_monitor_up'), /vigil_monitor_up\{monitor="a"\} 1/);
    assert.match(await registry.getSingleMetricAsString('vigil_monitor_state_changes_total'), /monitor="a",to="UP"\} 1/);

    // One failure under retries: PENDING, with the count in the reason; then back UP.
    scripted.set('svc-a', bad('timeout after 50ms'));
    await until('PENDING', () => svc.status()[0]?.state === 'PENDING');
    assert.match(svc.status()[0]?.reason ?? '', /timeout after 50ms \(failure 1 of 3/);
    const st = svc.status()[0];
    assert.ok(st && st.recentLatenciesMs.length > 3 && st.uptime24h !== null && st.uptime24h > 0 && st.uptime24h < 1);
  } finally {
    await svc.stop();
    scripted.delete('svc-a');
  }
});

test('heartbeat: UP on ping, DOWN after interval + grace without one (fake clock), down by push', async () => {
  const dir = tempDir();
  let now = Date.UTC(2026, 5, 1, 12, 0, 0);
  const appender = new MemoryAppender();
  const cfg = monitors({ nightly: { type: 'heartbeat', token: 'tok-0123456789abcdef', interval: '1h', grace: '5m', labels: { team: 'data' } } });
  const svc = service({ dataDir: dir, appender, monitors: cfg, now: () => now, heartbeatCheckMs: 3_600_000 });
  await svc.start();
  try {
    assert.equal(svc.heartbeat('wrong-token-0123456789', {}), undefined);
    now += 30 * 60_000;
    assert.equal(svc.heartbeat('tok-0123456789abcdef', { pingMs: 1500 }), 'nightly');
    assert.equal(svc.status()[0]?.state, 'UP');
    now += 60 * 60_000 + 4 * 60_000; // 1h04m after the ping: within the grace
    svc.checkHeartbeats();
    assert.equal(svc.status()[0]?.state, 'UP');
    now += 2 * 60_000; // 1h06m
    svc.checkHeartbeats();
    const s = svc.status()[0];
    assert.equal(s?.state, 'DOWN');
    assert.equal(s?.reason, 'no heartbeat for 1h6m');
    // Checking again before another interval passes does not count another miss.
    svc.checkHeartbeats();
    assert.equal(svc.history('nightly', 0)?.runs.filter((r) => !r.success).length, 1);

    svc.heartbeat('tok-0123456789abcdef', {});
    assert.equal(svc.status()[0]?.state, 'UP');
    svc.heartbeat('tok-0123456789abcdef', { status: 'down', msg: 'backup failed: disk full' });
    assert.equal(svc.status()[0]?.state, 'DOWN');
    assert.equal(svc.status()[0]?.reason, 'backup failed: disk full');
    await svc.flush();
    const up = appender.got.filter((s) => s.labels['__name__'] === 'probe_success');
    assert.deepEqual(up.map((s) => s.v[0]), [1, 0, 1, 0]);
    assert.deepEqual(up[0]?.labels, { __name__: 'probe_success', job: 'monitors', instance: 'testhost', monitor: 'nightly', type: 'heartbeat', team: 'data' });
    const dur = appender.got.find((s) => s.labels['__name__'] === 'probe_duration_seconds');
    assert.equal(dur?.v[0], 1.5);
  } finally {
    await svc.stop();
  }
});

test('state, failure counts and history survive a restart', async () => {
  const dir = tempDir();
  scripted.set('svc-r', bad('connection refused'));
  const cfg = monitors({
    r: { type: 'fake', target: 'svc-r', interval: '100ms', timeout: '50ms' },
    hb: { type: 'heartbeat', token: 'restart-token-0123456789', interval: '1h' },
  });
  const first = service({ dataDir: dir, monitors: cfg });
  await first.start();
  await until('DOWN', () => first.status().find((s) => s.name === 'r')?.state === 'DOWN');
  first.heartbeat('restart-token-0123456789', {});
  const before = first.status();
  await first.stop();
  await first.stop(); // idempotent

  scripted.set('svc-r', { success: false, durationSeconds: 0, reason: 'never run', samples: [] });
  const second = service({ dataDir: dir, monitors: cfg, flushIntervalMs: 3_600_000 });
  await second.start();
  try {
    const after = second.status();
    const r0 = before.find((s) => s.name === 'r');
    const r1 = after.find((s) => s.name === 'r');
    assert.equal(r1?.state, 'DOWN');
    assert.equal(r1?.since, r0?.since);
    assert.equal(after.find((s) => s.name === 'hb')?.state, 'UP');
    assert.ok((r1?.recentLatenciesMs.length ?? 0) >= 1, 'recent latencies come back from the history');
    const h = second.history('r', 0);
    assert.deepEqual(h?.transitions.map((t) => [t.from, t.to, t.reason]), [['PENDING', 'DOWN', 'connection refused']]);
    assert.ok((h?.runs.length ?? 0) >= 1);
    assert.equal(second.history('nope', 0), undefined);
  } finally {
    await second.stop();
    scripted.delete('svc-r');
  }
});

test('samples reach the real metrics store with blackbox names and labels', async () => {
  const dir = tempDir();
  const store = await MetricsStore.open({ dir: `${dir}/metrics`, config: {}, logger: silent });
  scripted.set('https://shop.example/health', { success: false, durationSeconds: 0.25, reason: 'status 503', samples: [{ name: 'probe_http_status_code', value: 503 }, { name: 'probe_http_duration_seconds', labels: { phase: 'connect' }, value: 0.01 }] });
  const svc = service({ dataDir: dir, appender: store, monitors: monitors({ shop: { type: 'fake', target: 'https://shop.example/health', interval: '100ms', timeout: '50ms', labels: { env: 'prod' } } }) });
  await svc.start();
  try {
    await until('a run', () => (svc.status()[0]?.lastRunAt ?? '') !== '' && svc.status()[0]?.state === 'DOWN');
    await svc.flush();
    const q = store.querier('fake');
    const sel = (name: string) => q.select([{ name: '__name__', op: '=', value: name }], Date.now() - 60_000, Date.now() + 1000);
    const success = await sel('probe_success');
    assert.equal(success.length, 1);
    assert.deepEqual(success[0]?.labels, { __name__: 'probe_success', job: 'monitors', instance: 'https://shop.example/health', monitor: 'shop', type: 'fake', env: 'prod' });
    assert.ok(success[0]!.v.length >= 1 && Array.from(success[0]!.v).every((v) => v === 0));
    const code = await sel('probe_http_status_code');
    assert.equal(code[0]?.v[0], 503);
    const phase = await sel('probe_http_duration_seconds');
    assert.equal(phase[0]?.labels['phase'], 'connect');
    const dur = await sel('probe_duration_seconds');
    assert.equal(dur[0]?.v[0], 0.25);
  } finally {
    await svc.stop();
    await store.stop();
    scripted.delete('https://shop.example/health');
  }
});

test('reload: removed monitors stop, disabled ones are PAUSED, unchanged ones keep their state', async () => {
  const dir = tempDir();
  scripted.set('k', ok());
  scripted.set('g', ok());
  const registry = new Registry();
  const a = { type: 'fake', target: 'k', interval: '100ms', timeout: '50ms' };
  const svc = service({ dataDir: dir, registry, monitors: monitors({ keep: a, gone: { ...a, target: 'g' }, later: { ...a } }) });
  await svc.start();
  try {
    await until('UP', () => svc.status().every((s) => s.state === 'UP'));
    const since = svc.status().find((s) => s.name === 'keep')?.since;
    await svc.reload(monitors({ keep: a, later: { ...a, enabled: false } }));
    const st = svc.status();
    assert.deepEqual(st.map((s) => [s.name, s.state]), [['keep', 'UP'], ['later', 'PAUSED']]);
    assert.equal(st[0]?.since, since);
    const runs = svc.history('later', 0)?.runs.length ?? 0;
    await sleep(300);
    assert.equal(svc.history('later', 0)?.runs.length, runs, 'a paused monitor does not run');
    assert.doesNotMatch(await registry.getSingleMetricAsString('vigil_monitor_up'), /monitor="(gone|later)"/);
  } finally {
    await svc.stop();
  }
});

test('a real command probe through the service: timeout reason, exit code sample, recovery', async () => {
  const dir = tempDir();
  const defs = [commandProbe as unknown as ProbeDefinition];
  const appender = new MemoryAppender();
  const flag = `${dir}/healthy`;
  const cfg = monitors({ cron: { type: 'command', command: `test -f ${flag} || sleep 5`, interval: '400ms', timeout: '150ms' } }, defs);
  const svc = service({ dataDir: dir, appender, monitors: cfg, lookupProbe: lookup(defs) });
  await svc.start();
  try {
    await until('DOWN', () => svc.status()[0]?.state === 'DOWN');
    assert.equal(svc.status()[0]?.reason, 'timeout after 150ms');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(flag, '');
    await until('UP', () => svc.status()[0]?.state === 'UP');
    await svc.flush();
    const exit = appender.got.filter((s) => s.labels['__name__'] === 'probe_command_exit_code');
    assert.equal(exit.at(-1)?.v[0], 0);
    assert.equal(exit.at(-1)?.labels['instance'], 'testhost');
    const up = appender.got.filter((s) => s.labels['__name__'] === 'vigil_monitor_up').map((s) => s.v[0]);
    assert.deepEqual([up[0], up.at(-1)], [0, 1]);
  } finally {
    await svc.stop();
  }
});
