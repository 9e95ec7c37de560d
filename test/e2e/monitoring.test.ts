/**
 * `vigil run` as a user runs it to watch services: HTTP monitors against a local service (one up,
 * one refusing connections), a heartbeat pushed without an API token, a scrape job, host metrics;
 * the results read back through `vigil monitors`, the Prometheus API and /api/v1/targets.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, runCli, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

const TOKEN = 'e2e-monitoring-token-0123456789';
const PUSH = 'heartbeat-secret-token-abcdef';

describe('monitoring end to end', () => {
  const children: VigilChild[] = [];
  let service: Server | undefined;
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
    service?.close();
  });

  it('probes, heartbeats, scrapes and host metrics land in the metrics store and the monitor API', async () => {
    service = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE app_jobs gauge\napp_jobs{queue="mail"} 7\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => service?.listen(0, '127.0.0.1', () => r()));
    const port = (service.address() as AddressInfo).port;
    const dir = tempDir();
    const cfg = `server:
  listen: 127.0.0.1:0
  auth: { tokens: ["${TOKEN}"] }
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
sources: {}
sinks: {}
host_metrics:
  interval: 1s
  collectors: [loadavg, meminfo]
monitors:
  web:
    type: http
    url: http://127.0.0.1:${port}/health
    json_path: $.status
    json_equals: ok
    interval: 1s
    timeout: 500ms
  gone:
    type: tcp
    target: 127.0.0.1:1
    interval: 1s
    timeout: 500ms
  nightly:
    type: heartbeat
    token: ${PUSH}
    interval: 1h
    grace: 5m
global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ["127.0.0.1:${port}"]
`;
    const vigil = await startVigilProcess(dir, cfg);
    children.push(vigil);
    const auth = { authorization: `Bearer ${TOKEN}` };

    // The heartbeat path is public (its own token authenticates it).
    const ping = await fetch(`${vigil.url}/api/vigil/v1/push/${PUSH}?status=up&msg=backup%20done`);
    assert.equal(ping.status, 200);
    assert.equal((await fetch(`${vigil.url}/api/vigil/v1/monitors`)).status, 401);

    const states = await eventually(async () => {
      const r = await fetch(`${vigil.url}/api/vigil/v1/monitors`, { headers: auth });
      const body = (await r.json()) as { data: Array<{ name: string; state: string; reason: string }> };
      const by = new Map(body.data.map((m) => [m.name, m]));
      return by.get('web')?.state === 'UP' && by.get('gone')?.state === 'DOWN' && by.get('nightly')?.state === 'UP' ? by : undefined;
    }, 30_000, 'web UP, gone DOWN, nightly UP');
    assert.match(states.get('gone')?.reason ?? '', /ECONNREFUSED|refused/);

    const cli = await runCli(['monitors', '--server', vigil.url, '--token', TOKEN, '--output', 'json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as Array<{ name: string }>).length, 3);
    const failOnDown = await runCli(['monitors', '--server', vigil.url, '--token', TOKEN, '--fail-on-down']);
    assert.equal(failOnDown.code, 3);
    assert.match(failOnDown.stdout, /gone.*DOWN/);

    const query = async (q: string) => {
      const r = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`, { headers: auth });
      return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    await eventually(async () => (await query('probe_success{monitor="web"} == 1')).length === 1, 20_000, 'probe_success of web');
    await eventually(async () => (await query('probe_success{monitor="gone"} == 0')).length === 1, 20_000, 'probe_success of gone');
    const jobs = await eventually(async () => {
      const r = await query('app_jobs');
      return r.length === 1 ? r : undefined;
    }, 20_000, 'scraped app_jobs');
    assert.equal(jobs[0]?.value[1], '7');
    assert.equal(jobs[0]?.metric['job'], 'app');
    await eventually(async () => (await query('up{job="app"} == 1')).length === 1, 20_000, 'up of the scrape target');
    await eventually(async () => (await query('node_memory_MemTotal_bytes > 0')).length === 1, 20_000, 'host metrics');

    const targets = (await (await fetch(`${vigil.url}/api/v1/targets`, { headers: auth })).json()) as { data: { activeTargets: Array<{ health: string; scrapePool: string }> } };
    assert.deepEqual(targets.data.activeTargets.map((t) => [t.scrapePool, t.health]), [['app', 'up']]);
    await vigil.stop();
  });
});
