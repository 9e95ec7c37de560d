/**
 * Interop: Vigil's remote write sender ships samples to a real Prometheus (2.42, started with
 * `--web.enable-remote-write-receiver`); `promtool query instant` on Prometheus must then return the
 * values Vigil sent, staleness markers included. Skips (with the reason) when prometheus/promtool
 * are not installed; CI installs them with `bash .ci/peers.sh`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RemoteWriteSender, resolveRemoteWriteConfigs, type ResolvedRemoteWriteConfig } from '../../src/metrics/remote-write/index.js';
import { STALE_NAN } from '../../src/query/promql/storage.js';
import { DEFAULT_TENANT } from '../../src/store/interfaces.js';
import { eventually, tempDir } from '../support/vigil-process.js';
import { freePort } from './syslog-peers.js';

const execFileAsync = promisify(execFile);

function missing(): string | undefined {
  for (const bin of ['prometheus', 'promtool']) {
    if (spawnSync(bin, ['--version']).error) return `${bin} is not installed (bash .ci/peers.sh installs it)`;
  }
  return undefined;
}

interface PromtoolSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function promtool(server: string, expr: string, timeMs: number): Promise<PromtoolSample[]> {
  const { stdout } = await execFileAsync('promtool', ['query', 'instant', '-o', 'json', `--time=${(timeMs / 1000).toFixed(3)}`, server, expr], { timeout: 20_000 });
  return JSON.parse(stdout) as PromtoolSample[];
}

const why = missing();

describe('Vigil remote write into a real Prometheus', { skip: why }, () => {
  let prom: ChildProcess | undefined;
  let sender: RemoteWriteSender | undefined;
  after(async () => {
    await sender?.stop();
    prom?.kill('SIGKILL');
  });

  it('Prometheus stores what Vigil sent; promtool reads it back', async () => {
    const dir = tempDir('vigil-rw-interop-');
    const port = await freePort();
    let promOut = '';
    const promConfig = join(dir, 'prometheus.yml');
    writeFileSync(promConfig, 'global:\n  scrape_interval: 1m\n');
    // Prometheus 2.42 has both `--web.enable-remote-write-receiver` and the older
    // `--enable-feature=remote-write-receiver`; the flag is the one that stays.
    prom = spawn('prometheus', [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (c: Buffer) => (promOut += c.toString()));
    prom.stderr?.on('data', (c: Buffer) => (promOut += c.toString()));
    const promUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, 30_000, `Prometheus to be ready:\n${promOut.slice(-2000)}`);

    const { configs, issues } = resolveRemoteWriteConfigs([{
      url: `${promUrl}/api/v1/write`,
      name: 'prom',
      queue_config: { max_samples_per_send: 5, min_shards: 2, max_shards: 2, batch_send_deadline: '100ms', min_backoff: '50ms', max_backoff: '500ms' },
      write_relabel_configs: [{ source_labels: ['__name__'], regex: 'vigil_interop_private', action: 'drop' }],
    }]);
    assert.deepEqual(issues, []);
    const registry = new Registry();
    const s = new RemoteWriteSender({ config: configs[0] as ResolvedRemoteWriteConfig, dataDir: join(dir, 'vigil-data'), logger: pino({ level: 'silent' }), registry });
    sender = s;
    await s.start();

    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const steps = 12;
    const ts = Array.from({ length: steps }, (_, i) => t0 + i * 5000);
    const values = {
      gauge: ts.map((_, i) => 20 + i * 0.25),
      tiny: ts.map(() => 1e-7),
      huge: ts.map((_, i) => -1.5e21 * (i + 1)),
    };
    // One append per step, as a scrape loop does, for several series at once.
    for (let i = 0; i < steps; i++) {
      const res = await s.append(DEFAULT_TENANT, [
        { labels: { __name__: 'vigil_interop_gauge', kind: 'gauge', job: 'vigil' }, t: [ts[i] as number], v: Float64Array.of(values.gauge[i] as number) },
        { labels: { __name__: 'vigil_interop_gauge', kind: 'tiny', job: 'vigil' }, t: [ts[i] as number], v: Float64Array.of(values.tiny[i] as number) },
        { labels: { __name__: 'vigil_interop_gauge', kind: 'huge', job: 'vigil' }, t: [ts[i] as number], v: Float64Array.of(values.huge[i] as number) },
        { labels: { __name__: 'vigil_interop_private', job: 'vigil' }, t: [ts[i] as number], v: Float64Array.of(1) },
      ]);
      assert.deepEqual(res.rejected, []);
    }
    // A series that goes away: a value, then Prometheus's staleness marker.
    const tStale = t0 + 30_000;
    await s.append(DEFAULT_TENANT, [{ labels: { __name__: 'vigil_interop_gone', job: 'vigil' }, t: [t0 + 25_000, tStale], v: Float64Array.of(7, STALE_NAN) }]);

    await eventually(async () => s.stats().pendingBytes === 0, 30_000, `the sender to drain; prometheus output:\n${promOut.slice(-2000)}`);
    const tLast = ts[steps - 1] as number;
    for (const [i, t] of ts.entries()) {
      const got = await promtool(promUrl, 'vigil_interop_gauge', t);
      // Compared as numbers: Prometheus prints floats its own way (1e-07, -1.5e+21).
      const byKind = Object.fromEntries(got.map((s) => [s.metric.kind, [s.value[0], Number(s.value[1])]]));
      assert.deepEqual(byKind, {
        gauge: [t / 1000, values.gauge[i]],
        tiny: [t / 1000, values.tiny[i]],
        huge: [t / 1000, values.huge[i]],
      }, `promtool query instant vigil_interop_gauge --time=${t / 1000}`);
    }
    assert.deepEqual(await promtool(promUrl, 'count_over_time(vigil_interop_gauge{kind="gauge"}[1h])', tLast), [{ metric: { job: 'vigil', kind: 'gauge' }, value: [tLast / 1000, String(steps)] }]);
    assert.deepEqual(await promtool(promUrl, 'vigil_interop_private', tLast), [], 'write_relabel_configs dropped the private series');
    assert.deepEqual(await promtool(promUrl, 'vigil_interop_gone', tStale - 1000), [{ metric: { __name__: 'vigil_interop_gone', job: 'vigil' }, value: [(tStale - 1000) / 1000, '7'] }]);
    assert.deepEqual(await promtool(promUrl, 'vigil_interop_gone', tStale + 1000), [], 'the staleness marker ended the series in Prometheus');
    const sent = (await registry.getSingleMetricAsString('vigil_remote_write_samples_total')).split('\n').find((l) => l.startsWith('vigil_remote_write_samples_total{'));
    assert.match(sent ?? '', / 38$/, 'all 3×12 samples and the two of the stale series were sent');
  });
});
