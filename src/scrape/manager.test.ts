import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { PromQLEngine } from '../query/promql/index.js';
import { DEFAULT_TENANT } from '../store/interfaces.js';
import { MetricsStore } from '../store/metrics/index.js';
import { metadataResponse, targetsResponse } from './api.js';
import { resolveScrapeConfigs } from './config.js';
import { ScrapeManager } from './manager.js';
import { alignedScrapeTime, SCRAPE_TIMESTAMP_TOLERANCE_MS } from '../metrics/aligned-time.js';
import { ScrapeLoop } from './loop.js';
import { populateLabels } from './target.js';

const logger = pino({ level: 'silent' });
let server: Server;
let port = 0;
const bodies = new Map<string, { body: string; type?: string; status?: number; gzip?: boolean }>();
const seenHeaders: Array<Record<string, string | string[] | undefined>> = [];

before(async () => {
  server = createServer((req, res) => {
    seenHeaders.push(req.headers);
    const b = bodies.get(new URL(req.url ?? '/', 'http://x').pathname) ?? { body: '', status: 404 };
    res.statusCode = b.status ?? 200;
    res.setHeader('content-type', b.type ?? 'text/plain; version=0.0.4');
    if (b.gzip) {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(b.body));
    } else res.end(b.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

async function setup(yaml: unknown[]): Promise<{ store: MetricsStore; mgr: ScrapeManager; engine: PromQLEngine; clock: { now: number }; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const clock = { now: Date.UTC(2026, 0, 1) };
  const store = await MetricsStore.open({ dir: join(dir, 'store'), config: {}, logger, now: () => clock.now * 1000 });
  const { configs, issues } = resolveScrapeConfigs(yaml);
  assert.deepEqual(issues, []);
  const mgr = new ScrapeManager({ configs, appender: store, logger, registry: new Registry(), now: () => clock.now });
  await mgr.start();
  return { store, mgr, engine: new PromQLEngine(store.querier(DEFAULT_TENANT)), clock, dir };
}

async function query(engine: PromQLEngine, q: string, t: number): Promise<Array<[string, number]>> {
  const r = await engine.instantQuery(q, t);
  assert.equal(r.value.kind, 'vector');
  if (r.value.kind !== 'vector') return [];
  return r.value.samples.map((s) => [JSON.stringify(Object.fromEntries(Object.entries(s.metric).sort())), s.v] as [string, number]).sort();
}

test('scrapes into the metrics store; PromQL sees samples, report series, staleness', async () => {
  bodies.set('/m1', { body: '# HELP reqs_total Requests.\n# TYPE reqs_total counter\nreqs_total{code="200"} 10\nreqs_total{code="500"} 1\ntemp{job="exporter",instance="x"} 21.5\n' });
  const { store, mgr, engine, clock } = await setup([
    { job_name: 'app', scrape_interval: '1h', metrics_path: '/m1', static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { env: 'test' } }], metric_relabel_configs: [{ source_labels: ['code'], regex: '5..', action: 'drop' }] },
  ]);
  try {
    const t1 = clock.now;
    await mgr.scrapeAllOnce();
    assert.match(String(seenHeaders.at(-1)?.accept), /^application\/openmetrics-text;version=1\.0\.0/);
    assert.equal(seenHeaders.at(-1)?.['x-prometheus-scrape-timeout-seconds'], '10');
    const inst = `127.0.0.1:${port}`;
    assert.deepEqual(await query(engine, 'reqs_total', t1), [[JSON.stringify({ __name__: 'reqs_total', code: '200', env: 'test', instance: inst, job: 'app' }), 10]]);
    // honor_labels false: the exporter's job/instance become exported_job/exported_instance
    assert.deepEqual(await query(engine, 'temp', t1), [[JSON.stringify({ __name__: 'temp', env: 'test', exported_instance: 'x', exported_job: 'exporter', instance: inst, job: 'app' }), 21.5]]);
    assert.deepEqual((await query(engine, 'up', t1)).map((x) => x[1]), [1]);
    assert.deepEqual((await query(engine, 'scrape_samples_scraped', t1)).map((x) => x[1]), [3]);
    assert.deepEqual((await query(engine, 'scrape_samples_post_metric_relabeling', t1)).map((x) => x[1]), [2]);
    assert.deepEqual((await query(engine, 'scrape_series_added', t1)).map((x) => x[1]), [2]);

    // second scrape: temp vanished (gzip body) -> staleness marker hides it at once
    clock.now += 15_000;
    bodies.set('/m1', { body: 'reqs_total{code="200"} 25\n', gzip: true });
    await mgr.scrapeAllOnce();
    const t2 = clock.now;
    assert.deepEqual(await query(engine, 'temp', t2), []);
    assert.deepEqual(await query(engine, 'temp', t2 - 1), [[JSON.stringify({ __name__: 'temp', env: 'test', exported_instance: 'x', exported_job: 'exporter', instance: inst, job: 'app' }), 21.5]]);
    assert.deepEqual((await query(engine, 'irate(reqs_total[1m])', t2)).map((x) => x[1]), [1]);
    assert.deepEqual((await query(engine, 'scrape_series_added', t2)).map((x) => x[1]), [0]);

    // third scrape: a malformed line fails the scrape: up=0, every series stale, error names the line
    clock.now += 15_000;
    bodies.set('/m1', { body: 'reqs_total{code="200"} 30\nbroken{ 1\n' });
    await mgr.scrapeAllOnce();
    const t3 = clock.now;
    assert.deepEqual((await query(engine, 'up', t3)).map((x) => x[1]), [0]);
    assert.deepEqual(await query(engine, 'reqs_total', t3), []);
    const data = targetsResponse(mgr);
    assert.equal(data.activeTargets.length, 1);
    const at = data.activeTargets[0];
    assert.equal(at?.health, 'down');
    assert.match(at?.lastError ?? '', /^parse error: line 2: /);
    assert.equal(at?.scrapeUrl, `http://127.0.0.1:${port}/m1`);
    assert.equal(at?.scrapeInterval, '1h');
    assert.equal(at?.scrapeTimeout, '10s');
    assert.deepEqual(at?.labels, { env: 'test', instance: inst, job: 'app' });
    assert.equal(at?.discoveredLabels.__metrics_path__, '/m1');
    assert.equal(at?.lastScrape, new Date(t3).toISOString());
    assert.deepEqual(metadataResponse(mgr), { reqs_total: [{ type: 'counter', help: 'Requests.', unit: '' }] });

    // removing the job marks the report series stale too
    clock.now += 15_000;
    await mgr.reload([]);
    assert.deepEqual(await query(engine, 'up', clock.now), []);
    assert.equal(targetsResponse(mgr).activeTargets.length, 0);
  } finally {
    await mgr.stop();
    await store.stop();
  }
});

test('honor_labels, target relabeling, dropped targets, HTTP errors, sample_limit', async () => {
  bodies.set('/h', { body: 'x{job="theirs"} 1\ny 2\n' });
  const { store, mgr, engine, clock } = await setup([
    { job_name: 'honor', scrape_interval: '1h', metrics_path: '/h', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
    {
      job_name: 'relabelled', scrape_interval: '1h', metrics_path: '/h', sample_limit: 1,
      static_configs: [{ targets: [`127.0.0.1:${port}`, 'dropme:1'], labels: { __meta_dc: 'eu' } }],
      relabel_configs: [{ source_labels: ['__address__'], regex: 'dropme:.*', action: 'drop' }, { source_labels: ['__meta_dc'], target_label: 'dc' }],
    },
    { job_name: 'missing', scrape_interval: '1h', metrics_path: '/nope', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
  ]);
  try {
    await mgr.scrapeAllOnce();
    const t = clock.now;
    assert.deepEqual((await query(engine, 'x{job="theirs"}', t)).length, 1);
    assert.deepEqual(await query(engine, 'up', t), [
      [JSON.stringify({ __name__: 'up', dc: 'eu', instance: `127.0.0.1:${port}`, job: 'relabelled' }), 0],
      [JSON.stringify({ __name__: 'up', instance: `127.0.0.1:${port}`, job: 'honor' }), 1],
      [JSON.stringify({ __name__: 'up', instance: `127.0.0.1:${port}`, job: 'missing' }), 0],
    ]);
    const d = targetsResponse(mgr);
    assert.deepEqual(d.droppedTargets.map((x) => x.discoveredLabels.__address__), ['dropme:1']);
    assert.deepEqual(d.droppedTargetCounts, { relabelled: 1 });
    const errors = Object.fromEntries(d.activeTargets.map((x) => [x.scrapePool, x.lastError]));
    assert.equal(errors.missing, 'server returned HTTP status 404');
    assert.equal(errors.relabelled, 'sample limit exceeded (2 > 1)');
    assert.equal(targetsResponse(mgr, { state: 'dropped' }).activeTargets.length, 0);
    assert.equal(targetsResponse(mgr, { scrapePool: 'honor' }).activeTargets.length, 1);
  } finally {
    await mgr.stop();
    await store.stop();
  }
});

test('file SD: targets from JSON and YAML files, re-read on change, bad files keep the old targets', async () => {
  bodies.set('/f', { body: 'f 1\n' });
  const sd = mkdtempSync(join(tmpdir(), 'vigil-filesd-'));
  process.on('exit', () => rmSync(sd, { recursive: true, force: true }));
  writeFileSync(join(sd, 'a.json'), JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { team: 'a' } }]));
  const { store, mgr } = await setup([{ job_name: 'files', scrape_interval: '1h', metrics_path: '/f', file_sd_configs: [{ files: [join(sd, '*.json'), join(sd, '*.yml')], refresh_interval: '1h' }] }]);
  try {
    const teams = (): string[] => targetsResponse(mgr).activeTargets.map((t) => t.labels.team ?? '').sort();
    assert.deepEqual(teams(), ['a']);
    assert.equal(targetsResponse(mgr).activeTargets[0]?.discoveredLabels.__meta_filepath, join(sd, 'a.json'));
    writeFileSync(join(sd, 'b.yml'), `- targets: ["localhost:${port}"]\n  labels: {team: b}\n`);
    await waitFor(() => teams().length === 2, 'b.yml picked up');
    assert.deepEqual(teams(), ['a', 'b']);
    writeFileSync(join(sd, 'a.json'), '[{"targets": 5}]');
    writeFileSync(join(sd, 'b.yml'), `- targets: ["localhost:${port}"]\n  labels: {team: c}\n`);
    await waitFor(() => teams().includes('c'), 'b.yml change picked up');
    assert.deepEqual(teams(), ['a', 'c']);
  } finally {
    await mgr.stop();
    await store.stop();
  }
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('config: Prometheus defaults and errors with paths', () => {
  const ok = resolveScrapeConfigs([{ job_name: 'a', static_configs: [{ targets: ['h:1'] }] }, { job_name: 'b', scrape_interval: '5s' }], { scrapeIntervalMs: 30_000, scrapeTimeoutMs: 10_000 });
  assert.deepEqual(ok.issues, []);
  assert.equal(ok.configs[0]?.intervalMs, 30_000);
  assert.equal(ok.configs[0]?.timeoutMs, 10_000);
  assert.equal(ok.configs[0]?.metricsPath, '/metrics');
  assert.equal(ok.configs[0]?.honorTimestamps, true);
  assert.equal(ok.configs[1]?.timeoutMs, 5_000); // timeout defaults to the interval when shorter
  const bad = resolveScrapeConfigs([
    { job_name: 'a', scrape_interval: '5s', scrape_timeout: '10s', bogus: 1 },
    { job_name: 'x', scrape_interval: '5s', scrape_timeout: '10s', basic_auth: { username: 'u' }, bearer_token: 't' },
    { job_name: 'x', relabel_configs: [{ action: 'hashmod', target_label: 'h' }] },
  ]);
  const msgs = bad.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.deepEqual(msgs, ['scrape_configs.0.bogus: unknown key']);
  const bad2 = resolveScrapeConfigs([
    { job_name: 'x', scrape_interval: '5s', scrape_timeout: '10s', basic_auth: { username: 'u' }, bearer_token: 't' },
    { job_name: 'x', relabel_configs: [{ action: 'hashmod', target_label: 'h' }] },
  ]);
  assert.deepEqual(bad2.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [
    'scrape_configs.0.scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "x"',
    'scrape_configs.0: at most one of basic_auth, authorization, bearer_token & bearer_token_file must be configured',
    'scrape_configs.1.job_name: found multiple scrape configs with job name "x"',
    'scrape_configs.1.relabel_configs.0.modulus: relabel configuration for hashmod requires non-zero modulus',
  ]);
});

test('auth headers, OpenMetrics, explicit timestamps (no staleness), label_limit, metadata expiry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-auth-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pw'), 'secret\n');
  bodies.set('/om', { type: 'application/openmetrics-text; version=1.0.0', body: '# TYPE a counter\n# HELP a Help.\na_total 3\nb 4 1767225590.5\n# EOF\n' });
  bodies.set('/many', { body: 'x{a="1",b="2",c="3"} 1\n' });
  const { store, mgr, engine, clock } = await setup([
    { job_name: 'om', scrape_interval: '1h', metrics_path: '/om', basic_auth: { username: 'u', password_file: join(dir, 'pw') }, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
    { job_name: 'many', scrape_interval: '1h', metrics_path: '/many', label_limit: 4, authorization: { credentials: 'tok' }, params: { module: ['x', 'y'] }, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
  ]);
  try {
    seenHeaders.length = 0;
    await mgr.scrapeAllOnce();
    const auths = seenHeaders.map((h) => h.authorization).sort();
    assert.deepEqual(auths, [`Basic ${Buffer.from('u:secret').toString('base64')}`, 'Bearer tok']);
    const t1 = clock.now;
    assert.deepEqual((await query(engine, 'a_total', t1)).map((x) => x[1]), [3]);
    // b carries its own timestamp (OpenMetrics seconds): stored at 1767225590500
    assert.deepEqual((await query(engine, 'b', 1767225590500)).map((x) => x[1]), [4]);
    const d = targetsResponse(mgr);
    const many = d.activeTargets.find((t) => t.scrapePool === 'many');
    assert.equal(many?.scrapeUrl, `http://127.0.0.1:${port}/many?module=x&module=y`);
    assert.equal(many?.lastError, 'label_limit exceeded (metric: x, number of labels: 6, limit: 4)');
    assert.deepEqual(metadataResponse(mgr), { a: [{ type: 'counter', help: 'Help.', unit: '' }] });
    // a series with an explicit timestamp is not marked stale when it vanishes; metadata outlives
    // its metric by 10 successful scrapes, as in Prometheus's scrape cache
    bodies.set('/om', { type: 'application/openmetrics-text; version=1.0.0', body: 'c 1\n# EOF\n' });
    for (let i = 0; i < 10; i++) {
      clock.now += 1000;
      await mgr.scrapeAllOnce();
    }
    assert.deepEqual((await query(engine, 'b', 1767225590500 + 1000)).map((x) => x[1]), [4]);
    assert.deepEqual(await query(engine, 'a_total', clock.now), []);
    assert.deepEqual(Object.keys(metadataResponse(mgr)), ['a']);
    clock.now += 1000;
    await mgr.scrapeAllOnce();
    assert.deepEqual(metadataResponse(mgr), {});
  } finally {
    await mgr.stop();
    await store.stop();
  }
});

test('scrape timestamps: the scheduled time within the tolerance (real timers), the real time beyond it', async () => {
  assert.equal(alignedScrapeTime(15_003, 15_000, 15_000), 15_000);
  assert.equal(alignedScrapeTime(14_999, 15_000, 15_000), 15_000);
  assert.equal(alignedScrapeTime(15_000 + SCRAPE_TIMESTAMP_TOLERANCE_MS + 1, 15_000, 15_000), 15_000 + SCRAPE_TIMESTAMP_TOLERANCE_MS + 1);
  assert.equal(alignedScrapeTime(1_003, 1_000, 200), 1_003, 'at most 1 % of the interval (2 ms at 200 ms)');
  assert.equal(alignedScrapeTime(1_002, 1_000, 200), 1_000);
  assert.equal(alignedScrapeTime(1_003, undefined, 15_000), 1_003, 'a scrape outside the schedule keeps its time');

  // A real loop on real timers: consecutive `up` samples are whole intervals apart (jitter within
  // the tolerance is not stored), except where a timer ran later than the tolerance.
  bodies.set('/aligned', { body: 'x 1\n' });
  const stamps: number[] = [];
  const appender = {
    async append(_tenant: string, series: ReadonlyArray<{ labels: Record<string, string>; t: ArrayLike<number> }>) {
      for (const s of series) if (s.labels.__name__ === 'up') stamps.push(s.t[0] as number);
      return { accepted: series.length, rejected: [] };
    },
  };
  const { configs } = resolveScrapeConfigs([{ job_name: 'aligned', scrape_interval: '1s', metrics_path: '/aligned', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }]);
  const mgr = new ScrapeManager({ configs, appender: appender as never, logger, registry: new Registry() });
  await mgr.start();
  for (let i = 0; i < 80 && stamps.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  await mgr.stop();
  assert.ok(stamps.length >= 4, `${stamps.length} scrapes`);
  // A loaded machine may run a timer later than the tolerance (that scrape keeps its real time).
  const gaps = stamps.slice(1).map((t, i) => t - (stamps[i] as number));
  assert.ok(gaps.some((g) => g === 1000), `gaps ${gaps.join(',')}`);

  // Deterministic: the loop stamps a scrape with its scheduled time within the tolerance, its real time beyond it.
  const cfg = configs[0]!;
  const target = populateLabels(cfg, {}, `127.0.0.1:${port}`).labels!;
  let clock = 0;
  const seen: number[] = [];
  const loop = new ScrapeLoop({ cfg, labels: target, appender: { async append(_t: string, series: ReadonlyArray<{ labels: Record<string, string>; t: ArrayLike<number> }>) { for (const x of series) if (x.labels.__name__ === 'up') seen.push(x.t[0] as number); return { accepted: series.length, rejected: [] }; } } as never, tenant: 'default', logger, now: () => clock });
  clock = 1_800_000_000_003;
  await loop.scrapeOnce(1_800_000_000_000);
  clock = 1_800_000_001_050;
  await loop.scrapeOnce(1_800_000_001_000);
  assert.deepEqual(seen, [1_800_000_000_000, 1_800_000_001_050]);
});
