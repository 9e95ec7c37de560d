/**
 * `vigil run` as a user runs it: a real process tailing real files into the embedded store,
 * answering LogQL over the Loki API and through `vigil query`; killed with -9 mid-ingest and
 * restarted without losing a line; reloaded with SIGHUP; refusing to be exposed without tokens.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, runCli, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

function config(dir: string, extra = ''): string {
  return `server:
  listen: 127.0.0.1:0
  limits:
    max_query_limit: 20000
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
  level: info
sources:
  api:
    type: file
    include: ["${join(dir, 'logs')}/*.log"]
    start_at: beginning
    labels: { service: api }
${extra}`;
}

async function queryLines(url: string, q: string, limit = 5000): Promise<string[]> {
  const params = new URLSearchParams({ query: q, limit: String(limit), start: String((Date.now() - 3600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6) });
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`);
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { data: { resultType: string; result: Array<{ values: Array<[string, string]> }> } };
  assert.equal(body.data.resultType, 'streams');
  return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
}

describe('vigil run end to end', () => {
  const children: VigilChild[] = [];
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
  });

  it('tails a file into the store and answers LogQL over HTTP and from the CLI', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) lines.push(i % 50 === 7 ? `request ${i} failed: upstream timeout` : `request ${i} ok`);
    writeFileSync(join(dir, 'logs', 'api.log'), `${lines.join('\n')}\n`);
    const v = await startVigilProcess(dir, config(dir));
    children.push(v);
    const found = await eventually(async () => {
      const got = await queryLines(v.url, '{service="api"} |= "timeout"');
      return got.length === 10 ? got : undefined;
    }, 30_000, 'the 10 timeout lines');
    assert.deepEqual([...found].sort(), lines.filter((l) => l.includes('timeout')).sort());

    const cli = await runCli(['query', '{service="api"} |= "timeout"', '--server', v.url, '--output', 'raw', '--since', '1h']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.stdout.trim().split('\n').sort(), lines.filter((l) => l.includes('timeout')).sort());

    const metric = await runCli(['query', 'sum by (service) (count_over_time({service="api"}[1h]))', '--server', v.url, '--instant']);
    assert.equal(metric.code, 0, metric.stderr);
    assert.match(metric.stdout, /\{service="api"\}\s+500/);

    const bad = await runCli(['query', '{service="api"} |= ', '--server', v.url]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\^/);
    await v.stop();
  });

  it('loses no line when killed with -9 mid-ingest and restarted', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'api.log');
    writeFileSync(file, '');
    let v = await startVigilProcess(dir, config(dir));
    children.push(v);
    let written = 0;
    const write = (n: number) => {
      const chunk: string[] = [];
      for (let i = 0; i < n; i++) chunk.push(`line ${written++} payload ${'x'.repeat(40)}`);
      appendFileSync(file, `${chunk.join('\n')}\n`);
    };
    for (let round = 0; round < 20; round++) {
      write(300);
      await new Promise((r) => setTimeout(r, 20));
    }
    v.proc.kill('SIGKILL');
    await v.exited;
    write(1000); // written while vigil is down
    v = await startVigilProcess(dir, config(dir));
    children.push(v);
    const got = await eventually(async () => {
      const all = await queryLines(v.url, '{service="api"}', 20000);
      return new Set(all).size === written ? all : undefined;
    }, 60_000, `all ${written} lines after restart`);
    const unique = new Set(got);
    assert.equal(unique.size, written);
    for (let i = 0; i < written; i += 997) assert.ok(unique.has(`line ${i} payload ${'x'.repeat(40)}`));
    await v.stop();
  });

  it('reloads sources on SIGHUP and keeps running on a bad config', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'first\n');
    writeFileSync(join(dir, 'more', 'b.log'), 'from the new source\n');
    const v = await startVigilProcess(dir, config(dir));
    children.push(v);
    await eventually(async () => (await queryLines(v.url, '{service="api"}')).includes('first'), 20_000, 'first line');

    writeFileSync(join(dir, 'vigil.yaml'), `${config(dir)}    bogus_option: 1\n`);
    v.proc.kill('SIGHUP');
    await eventually(async () => /new configuration is invalid; keeping the running one/.test(v.stderr()), 10_000, 'bad reload refused');
    appendFileSync(join(dir, 'logs', 'a.log'), 'second\n');
    await eventually(async () => (await queryLines(v.url, '{service="api"}')).includes('second'), 20_000, 'still collecting');

    writeFileSync(
      join(dir, 'vigil.yaml'),
      config(dir, `  more:\n    type: file\n    include: ["${join(dir, 'more')}/*.log"]\n    start_at: beginning\n    labels: { service: more }\n`),
    );
    v.proc.kill('SIGHUP');
    await eventually(async () => (await queryLines(v.url, '{service="more"}')).includes('from the new source'), 20_000, 'new source after reload');
    await v.stop();
  });

  it('refuses to listen beyond loopback without API tokens, and checks tokens when set', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vigil.yaml'), `server:\n  listen: 0.0.0.0:0\nstorage:\n  path: ${join(dir, 'data')}\nsources: {}\nsinks: {}\n`);
    const r = await runCli(['run', '-c', join(dir, 'vigil.yaml')], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0 .* without API tokens/);
    assert.match(r.stderr, /tokens: \["\$\{VIGIL_TOKEN\}"\]/);

    const token = 'test-token-0123456789abcdef';
    const v = await startVigilProcess(dir, `${config(dir).replace('  listen: 127.0.0.1:0\n', `  listen: 127.0.0.1:0\n  auth:\n    tokens: ["\${T}"]\n`)}`, { T: token });
    children.push(v);
    assert.equal((await fetch(`${v.url}/ready`)).status, 200);
    assert.equal((await fetch(`${v.url}/loki/api/v1/labels`)).status, 401);
    assert.equal((await fetch(`${v.url}/loki/api/v1/labels`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await fetch(`${v.url}/metrics`)).status, 401);
    await v.stop();
  });

  it('vigil check prints the graph of a valid config and every error of a bad one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'good.yaml'), config(dir));
    const ok = await runCli(['check', '-c', join(dir, 'good.yaml')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /api ─▶ store/);
    writeFileSync(join(dir, 'bad.yaml'), 'server:\n  lisen: x\nsources:\n  a:\n    type: file\n');
    const bad = await runCli(['check', '-c', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:2:3 server\.lisen: unknown key/);
    assert.match(bad.stderr, /sources\.a\.include: is required/);
  });
});
