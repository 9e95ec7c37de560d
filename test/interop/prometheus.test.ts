/**
 * Interop: a real Prometheus scrapes a tiny target and remote-writes to a real `vigil run`;
 * `promtool query instant` must then print the same answer from both servers. Skips (with the
 * reason) when prometheus/promtool are not installed; CI installs them with `bash .ci/peers.sh`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { eventually, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';
import { freePort } from './syslog-peers.js';

const execFileAsync = promisify(execFile);

function missing(): string | undefined {
  for (const bin of ['prometheus', 'promtool']) {
    if (spawnSync(bin, ['--version']).error) return `${bin} is not installed (bash .ci/peers.sh installs it)`;
  }
  return undefined;
}

/** The scrape target: a few series of each kind, values that change per scrape. */
function startTarget(port: number): Promise<Server> {
  let scrapes = 0;
  const srv = createServer((_req, res) => {
    scrapes++;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end([
      '# TYPE interop_requests_total counter',
      // Far from zero: Prometheus 2 (Debian's) and 3 (Vigil's) order rate()'s "extrapolate to zero"
      // and "extrapolation threshold" rules differently, which only shows for counters near zero.
      `interop_requests_total{code="200"} ${1000 + scrapes * 10}`,
      `interop_requests_total{code="500"} ${500 + scrapes}`,
      '# TYPE interop_temperature gauge',
      `interop_temperature ${20 + (scrapes % 7) * 0.25}`,
      '# TYPE interop_ratio gauge',
      'interop_ratio{kind="tiny"} 1e-7',
      'interop_ratio{kind="huge"} 1.5e+21',
      '',
    ].join('\n'));
  });
  return new Promise((r) => srv.listen(port, '127.0.0.1', () => r(srv)));
}

async function promtool(server: string, expr: string, time: string): Promise<unknown> {
  const { stdout } = await execFileAsync('promtool', ['query', 'instant', '-o', 'json', `--time=${time}`, server, expr], { timeout: 20_000 });
  return JSON.parse(stdout);
}

const why = missing();

describe('Prometheus remote write into Vigil, compared with promtool', { skip: why }, () => {
  let vigil: VigilChild | undefined;
  let prom: ChildProcess | undefined;
  let target: Server | undefined;
  after(async () => {
    prom?.kill('SIGKILL');
    target?.close();
    await vigil?.stop('SIGKILL');
  });

  it('answers promtool query instant as Prometheus does', async () => {
    const dir = tempDir('vigil-prom-interop-');
    vigil = await startVigilProcess(dir, `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'data')}\nlogging:\n  format: json\nsources: {}\nsinks: {}\n`);
    const targetPort = await freePort();
    target = await startTarget(targetPort);
    const promPort = await freePort();
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(cfg, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: interop',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${targetPort}"]`,
      'remote_write:',
      `  - url: ${vigil.url}/api/v1/write`,
      '    queue_config: { batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s }',
      '',
    ].join('\n'));
    let promOut = '';
    prom = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (c: Buffer) => (promOut += c.toString()));
    prom.stderr?.on('data', (c: Buffer) => (promOut += c.toString()));
    const promUrl = `http://127.0.0.1:${promPort}`;

    // A time both servers have data for: the newest scrape Vigil has received, after a few scrapes.
    const latest = await eventually(async () => {
      const res = await fetch(`${vigil?.url}/api/v1/query?${new URLSearchParams({ query: 'timestamp(up{job="interop"})', time: String(Date.now() / 1000) })}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      const n = await fetch(`${vigil?.url}/api/v1/query?${new URLSearchParams({ query: 'count_over_time(up{job="interop"}[1m])', time: String(Date.now() / 1000) })}`);
      const count = Number(((await n.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]?.value[1] ?? 0);
      return count >= 4 ? Number(body.data.result[0]?.value[1]) : undefined;
    }, 60_000, `Prometheus to remote-write 4 scrapes to Vigil; prometheus output:\n${promOut.slice(-2000)}`);
    // Half a scrape interval later, so no sample sits exactly on a range window's left edge:
    // Prometheus 2 (Debian's) windows are closed there, Prometheus 3's (Vigil's) open.
    const time = (latest + 0.5).toFixed(3);

    const exprs = [
      'interop_requests_total{code="500"}[20s]',
      'up',
      'interop_requests_total',
      'interop_temperature',
      'interop_ratio',
      'sum by (code) (rate(interop_requests_total[10s]))',
      'interop_temperature * 2 > 0',
      'count(scrape_duration_seconds)',
    ];
    for (const expr of exprs) {
      const fromProm = await promtool(promUrl, expr, time);
      const fromVigil = await promtool(vigil.url, expr, time);
      assert.ok(Array.isArray(fromProm) && fromProm.length > 0, `Prometheus answered ${expr} with data`);
      assert.deepEqual(fromVigil, fromProm, `promtool query instant ${expr} --time=${time}`);
    }
  });
});
