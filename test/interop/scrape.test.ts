/**
 * Interop: a real Prometheus and Vigil's ScrapeManager scrape the same local exporter with the
 * same `scrape_configs:` text at 1 s; `promtool query instant` must then give the same label sets,
 * the same constant gauges and `up`, and rates/quantiles within a tolerance (the two scrape at
 * different instants). Also `promtool check metrics` on a running Vigil's own /metrics.
 * Skips (with the reason) when prometheus/promtool are not installed (bash .ci/peers.sh).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { promTestServer, type PromTestServer } from '../../src/server/prometheus/testing.js';
import { metadataResponse, resolveScrapeConfigs, ScrapeManager, targetsResponse } from '../../src/scrape/index.js';
import { eventually, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';
import { freePort } from './syslog-peers.js';

const execFileAsync = promisify(execFile);

function missing(): string | undefined {
  for (const bin of ['prometheus', 'promtool']) {
    if (spawnSync(bin, ['--version']).error) return `${bin} is not installed (bash .ci/peers.sh installs it)`;
  }
  return undefined;
}

/**
 * The exporter: counters and histogram buckets grow at fixed rates of wall time (so both scrapers
 * see the same rates), constant gauges, a series the test removes (staleness), and
 * OpenMetrics when asked for it (Prometheus and Vigil both ask), text 0.0.4 otherwise.
 */
const exporterState = { flaky: true };

function startExporter(port: number): Promise<Server> {
  const t0 = Date.now();
  const srv = createServer((req, res) => {
    const s = (Date.now() - t0) / 1000;
    const om = String(req.headers.accept ?? '').startsWith('application/openmetrics-text');
    const lines = [
      '# HELP interop_requests Requests served.',
      `# TYPE interop_requests${om ? '' : '_total'} counter`,
      `interop_requests_total{code="200",path="/a"} ${1000 + 10 * s}`,
      ...(om ? [`interop_requests_created{code="200",path="/a"} ${t0 / 1000}`] : []),
      `interop_requests_total{code="500",path="/a"} ${500 + 2 * s}`,
      ...(om ? [`interop_requests_created{code="500",path="/a"} ${t0 / 1000}`] : []),
      '# HELP interop_temperature_celsius Temperature.',
      '# TYPE interop_temperature_celsius gauge',
      'interop_temperature_celsius{room="a b \\"c\\""} 21.5',
      'interop_temperature_celsius{room="lab"} -3e-2',
      '# TYPE interop_latency_seconds histogram',
      `interop_latency_seconds_bucket{le="0.1"} ${2 * s}`,
      `interop_latency_seconds_bucket{le="0.5"} ${5 * s}`,
      `interop_latency_seconds_bucket{le="1.0"} ${8 * s}`,
      `interop_latency_seconds_bucket{le="+Inf"} ${10 * s}`,
      `interop_latency_seconds_sum ${3 * s}`,
      `interop_latency_seconds_count ${10 * s}`,
      '# TYPE interop_dropped gauge',
      'interop_dropped 1',
      ...(exporterState.flaky ? ['# TYPE interop_flaky gauge', 'interop_flaky 7'] : []),
    ];
    if (om) lines.push('# EOF');
    res.setHeader('content-type', om ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4');
    res.end(`${lines.join('\n')}\n`);
  });
  return new Promise((r) => srv.listen(port, '127.0.0.1', () => r(srv)));
}

async function promtool(server: string, expr: string, time: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const { stdout } = await execFileAsync('promtool', ['query', 'instant', '-o', 'json', `--time=${time}`, server, expr], { timeout: 20_000 });
  return JSON.parse(stdout) as Array<{ metric: Record<string, string>; value: [number, string] }>;
}

const byLabels = (r: Array<{ metric: Record<string, string> }>): string[] => r.map((x) => JSON.stringify(Object.entries(x.metric).sort())).sort();

const why = missing();

describe('Vigil scrapes like Prometheus', { skip: why }, () => {
  let prom: ChildProcess | undefined;
  let exporter: Server | undefined;
  let vigil: PromTestServer | undefined;
  let mgr: ScrapeManager | undefined;
  after(async () => {
    prom?.kill('SIGKILL');
    exporter?.close();
    await mgr?.stop();
    await vigil?.close();
  });

  it('gives the same series, values and targets as Prometheus for the same scrape_configs', async () => {
    const dir = tempDir('vigil-scrape-interop-');
    const exporterPort = await freePort();
    exporter = await startExporter(exporterPort);
    const scrapeConfigs = [
      'scrape_configs:',
      '  - job_name: interop',
      '    scrape_interval: 1s',
      '    scrape_timeout: 900ms',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${exporterPort}", "localhost:${exporterPort}"]`,
      '        labels: { env: "ci", __meta_zone: "z1" }',
      '      - targets: ["drop.example:9"]',
      '    relabel_configs:',
      '      - { source_labels: [__address__], regex: "drop\\\\..*", action: drop }',
      '      - { source_labels: [__meta_zone], target_label: zone }',
      '      - { source_labels: [__address__], target_label: shard, modulus: 4, action: hashmod }',
      '    metric_relabel_configs:',
      '      - { source_labels: [__name__], regex: interop_dropped, action: drop }',
      '      - { source_labels: [room], regex: "(.*) .*", target_label: room_prefix, replacement: "p-$1" }',
      '',
    ].join('\n');
    const promPort = await freePort();
    const cfgFile = join(dir, 'prometheus.yml');
    writeFileSync(cfgFile, `global:\n  scrape_interval: 1s\n${scrapeConfigs}`);
    let promOut = '';
    prom = spawn('prometheus', [`--config.file=${cfgFile}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (c: Buffer) => (promOut += c.toString()));
    prom.stderr?.on('data', (c: Buffer) => (promOut += c.toString()));
    const promUrl = `http://127.0.0.1:${promPort}`;

    vigil = await promTestServer();
    await vigil.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = vigil.app.server.address();
    const vigilUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const { configs, issues } = resolveScrapeConfigs((parseYaml(scrapeConfigs) as { scrape_configs: unknown }).scrape_configs);
    assert.deepEqual(issues, []);
    mgr = new ScrapeManager({ configs, appender: vigil.metricsStore, logger: pino({ level: 'silent' }), registry: new Registry() });
    await mgr.start();

    const scrapedTimes = async (url: string, n: number): Promise<boolean> => {
      const r = await fetch(`${url}/api/v1/query?query=count_over_time(up[1m])`).then((x) => x.json() as Promise<{ data: { result: Array<{ value: [number, string] }> } }>);
      return r.data.result.length === 2 && r.data.result.every((x) => Number(x.value[1]) >= n);
    };
    await eventually(async () => (await scrapedTimes(promUrl, 3)) && scrapedTimes(vigilUrl, 3), 60_000, `both to scrape 3 times; prometheus output:\n${promOut.slice(-2000)}`);
    const flakyOff = Date.now();
    exporterState.flaky = false;
    await eventually(async () => (await scrapedTimes(promUrl, 10)) && scrapedTimes(vigilUrl, 10), 60_000, `both to scrape 10 times; prometheus output:\n${promOut.slice(-2000)}`);
    // A time both have scraped well past (and past the flaky series' disappearance).
    const time = ((Date.now() - 1500) / 1000).toFixed(3);
    assert.ok(Number(time) * 1000 - flakyOff > 4000);

    for (const expr of ['up', 'interop_temperature_celsius', 'count by (__name__) ({job="interop"})', 'interop_dropped', 'interop_flaky', 'count(interop_latency_seconds_bucket) by (instance)']) {
      const a = await promtool(promUrl, expr, time);
      const b = await promtool(vigilUrl, expr, time);
      const strip = (r: typeof a) => r.map((x) => ({ metric: x.metric, value: x.value[1] })).sort((p, q) => (JSON.stringify(p.metric) < JSON.stringify(q.metric) ? -1 : 1));
      assert.deepEqual(strip(b), strip(a), `promtool query instant ${expr} --time=${time}`);
    }
    // every series (report series included) with exactly Prometheus's label sets
    const all = '{job="interop"}';
    assert.deepEqual(byLabels(await promtool(vigilUrl, all, time)), byLabels(await promtool(promUrl, all, time)));
    const before = ((flakyOff - 1200) / 1000).toFixed(3);
    assert.equal((await promtool(promUrl, 'interop_flaky', before)).length, 2, 'the flaky series existed before it went stale');
    assert.equal((await promtool(vigilUrl, 'interop_flaky', before)).length, 2, 'the flaky series existed in Vigil before it went stale');

    const close = async (expr: string, tol: number): Promise<void> => {
      const a = await promtool(promUrl, expr, time);
      const b = await promtool(vigilUrl, expr, time);
      assert.deepEqual(byLabels(b), byLabels(a), expr);
      assert.ok(a.length > 0, `${expr} has data`);
      const val = (r: typeof a) => new Map(r.map((x) => [JSON.stringify(Object.entries(x.metric).sort()), Number(x.value[1])]));
      const va = val(a);
      for (const [k, v] of val(b)) {
        const want = va.get(k) as number;
        assert.ok(Math.abs(v - want) <= tol * Math.abs(want), `${expr} ${k}: Vigil ${v}, Prometheus ${want}`);
      }
    };
    await close('rate(interop_requests_total[5s])', 0.05);
    await close('sum by (code) (rate(interop_requests_total[5s]))', 0.05);
    await close('histogram_quantile(0.5, sum by (le, instance) (rate(interop_latency_seconds_bucket[5s])))', 0.05);
    await close('histogram_quantile(0.9, rate(interop_latency_seconds_bucket[5s]))', 0.05);
    await close('interop_requests_created', 0.01);

    // /api/v1/targets: same targets, labels, URLs and health
    const promTargets = (await fetch(`${promUrl}/api/v1/targets`).then((r) => r.json())) as { data: ReturnType<typeof targetsResponse> };
    const ours = targetsResponse(mgr);
    const shape = (d: ReturnType<typeof targetsResponse>) => ({
      active: d.activeTargets.map((t) => ({ labels: t.labels, discoveredLabels: t.discoveredLabels, scrapeUrl: t.scrapeUrl, globalUrl: t.globalUrl, scrapePool: t.scrapePool, health: t.health, lastError: t.lastError, scrapeInterval: t.scrapeInterval, scrapeTimeout: t.scrapeTimeout })).sort((x, y) => (x.scrapeUrl < y.scrapeUrl ? -1 : 1)),
      dropped: d.droppedTargets,
    });
    assert.deepEqual(shape(ours), shape(promTargets.data));
    assert.deepEqual(Object.keys(ours.activeTargets[0] ?? {}).sort(), Object.keys(promTargets.data.activeTargets[0] ?? {}).sort());

    // /api/v1/metadata: same families and entries (interop_flaky's entry expires 10 scrapes after
    // it vanished, at a slightly different moment in each)
    const promMeta = (await fetch(`${promUrl}/api/v1/metadata`).then((r) => r.json())) as { data: Record<string, unknown> };
    const interopOnly = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('interop_') && k !== 'interop_flaky').sort());
    assert.deepEqual(interopOnly(metadataResponse(mgr)), interopOnly(promMeta.data));

    // A target that goes away (config reload): both mark all its series stale, so `up` and
    // every other series of it vanish at once instead of lingering for the 5 m lookback.
    const reduced = scrapeConfigs.replace(`, "localhost:${exporterPort}"`, '');
    writeFileSync(cfgFile, `global:\n  scrape_interval: 1s\n${reduced}`);
    prom.kill('SIGHUP');
    const next = resolveScrapeConfigs((parseYaml(reduced) as { scrape_configs: unknown }).scrape_configs);
    await mgr.reload(next.configs);
    // Prometheus applies discovery updates at most every 5 s, then waits ~2 intervals before it
    // writes the markers (the target might come back).
    await eventually(async () => {
      const r = (await fetch(`${promUrl}/api/v1/targets?state=active`).then((x) => x.json())) as { data: { activeTargets: unknown[] } };
      return r.data.activeTargets.length === 1;
    }, 30_000, 'Prometheus to apply the reload');
    await new Promise((r) => setTimeout(r, 5000));
    const later = ((Date.now() - 1000) / 1000).toFixed(3);
    for (const expr of ['up', 'count by (instance) ({job="interop"})']) {
      const a = await promtool(promUrl, expr, later);
      const b = await promtool(vigilUrl, expr, later);
      assert.deepEqual(byLabels(b), byLabels(a), `${expr} after the target went away`);
      assert.deepEqual(a.map((x) => x.metric.instance), [`127.0.0.1:${exporterPort}`], `${expr}: only the remaining target`);
    }
  });
});

describe('promtool check metrics on Vigil\'s own /metrics', { skip: why }, () => {
  let vigilProc: VigilChild | undefined;
  after(async () => {
    await vigilProc?.stop('SIGKILL');
  });

  /**
   * Lint problems promtool reports (exit code 3) that are known and not this module's to fix:
   * prom-client's default Node.js metrics name three gauges `*_total` (registered by
   * src/server/metrics.ts). Any other lint problem, or a parse error (exit code 1), fails.
   */
  const KNOWN_LINT = new Set([
    'vigil_process_nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
    'vigil_process_nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
    'vigil_process_nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
  ]);
  const check = (text: string): { code: number | null; out: string; unknown: string[] } => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    const problems = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return { code: r.status, out, unknown: problems.filter((p) => !KNOWN_LINT.has(p)) };
  };

  it('passes for a running `vigil run`', async () => {
    const dir = tempDir('vigil-metrics-lint-');
    vigilProc = await startVigilProcess(dir, `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'data')}\nlogging:\n  format: json\nsources: {}\nsinks: {}\n`);
    const text = await (await fetch(`${vigilProc.url}/metrics`)).text();
    assert.ok(text.includes('# TYPE'), 'Vigil serves metrics');
    const r = check(text);
    assert.ok(r.code === 0 || r.code === 3, `promtool check metrics failed (exit ${r.code}):\n${r.out}`);
    assert.deepEqual(r.unknown, [], `promtool check metrics lint problems:\n${r.out}`);
  });

  it('passes for the scrape manager\'s own metrics', async () => {
    const registry = new Registry();
    const { configs } = resolveScrapeConfigs([{ job_name: 'x', scrape_interval: '1h', static_configs: [{ targets: ['127.0.0.1:1'] }] }]);
    const m = new ScrapeManager({ configs, appender: { append: async () => ({ accepted: 0, rejected: [] }) }, logger: pino({ level: 'silent' }), registry });
    await m.start();
    await m.scrapeAllOnce();
    await m.stop();
    const text = await registry.metrics();
    assert.match(text, /vigil_scrape_scrapes_total\{job="x",result="failure"\} 1/);
    const r = check(text);
    assert.equal(r.code, 0, `promtool check metrics:\n${r.out}`);
  });
});
