/**
 * `vigil agent` as a user runs it on a fleet host: tails files and ships them with the `loki` sink
 * to a `vigil run` server (both real processes); the agent serves /ready and /metrics only.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, runCli, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

describe('vigil agent end to end', () => {
  const children: VigilChild[] = [];
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
  });

  it('ships a host\'s files to a Vigil server through the loki sink', async () => {
    const dir = tempDir();
    const server = await startVigilProcess(dir, `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'server-data')}\nlogging:\n  format: json\nsources: {}\nsinks: {}\n`, {}, 'run', 'server.yaml');
    children.push(server);

    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'edge.log'), 'first line\n');
    const agent = await startVigilProcess(
      dir,
      `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'agent-data')}\nlogging:\n  format: json\nsources:\n  edge:\n    type: file\n    include: ["${join(dir, 'logs')}/*.log"]\n    start_at: beginning\n    labels: { service: edge }\n    pipeline:\n      - { type: redact, presets: [email] }\nsinks:\n  central:\n    type: loki\n    url: ${server.url}\n`,
      {},
      'agent',
      'agent.yaml',
    );
    children.push(agent);
    assert.equal((await fetch(`${agent.url}/ready`)).status, 200);
    assert.equal((await fetch(`${agent.url}/loki/api/v1/labels`)).status, 404, 'an agent has no query API');

    for (let i = 0; i < 200; i++) appendFileSync(join(dir, 'logs', 'edge.log'), `line ${i} from user${i}@example.com\n`);
    const out = await eventually(async () => {
      const r = await runCli(['query', '{service="edge"}', '--server', server.url, '--output', 'raw', '--limit', '1000', '--forward']);
      const lines = r.stdout.trim().split('\n').filter((l) => l !== '');
      return lines.length === 201 ? lines : undefined;
    }, 40_000, 'all 201 lines at the server');
    assert.equal(out[0], 'first line');
    assert.equal(out[1], 'line 0 from [REDACTED]');
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    assert.match(metrics, /vigil_component_sent_events_total\{component_id="central",component_kind="sink",component_type="loki"\} 201/);
    await agent.stop();
    await server.stop();
  });

  it('an agent with the vigil sink: logs, its report, and its host metrics and probe results (remote-written) reach the server', async () => {
    const dir = tempDir();
    const token = 'agent-e2e-token-0123456789abcdef';
    const server = await startVigilProcess(dir, `server:\n  listen: 127.0.0.1:0\n  auth: { tokens: ["${token}"] }\nstorage:\n  path: ${join(dir, 'server-data')}\nlogging:\n  format: json\nsources: {}\nsinks: {}\nhost_metrics:\n  enabled: false\n`, {}, 'run', 'server.yaml');
    children.push(server);
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'edge.log'), 'hello from the edge\n');
    const agent = await startVigilProcess(
      dir,
      `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'agent-data')}\nlogging:\n  format: json\nsources:\n  edge:\n    type: file\n    include: ["${join(dir, 'logs')}/*.log"]\n    start_at: beginning\n    labels: { service: edge }\nsinks:\n  central:\n    type: vigil\n    servers: ["http://127.0.0.1:1", "${server.url}"]\n    token: ${token}\n    report_interval: 1s\nhost_metrics:\n  interval: 1s\n  collectors: [loadavg]\nmonitors:\n  server-ready:\n    type: http\n    url: ${server.url}/ready\n    interval: 1s\n    timeout: 500ms\n`,
      {},
      'agent',
      'agent.yaml',
    );
    children.push(agent);
    const auth = { authorization: `Bearer ${token}` };
    await eventually(async () => {
      const r = await runCli(['query', '{service="edge"}', '--server', server.url, '--token', token, '--output', 'raw']);
      return r.stdout.includes('hello from the edge');
    }, 40_000, 'the log line at the server (after failing over from the dead first server)');
    const agents = await eventually(async () => {
      const r = (await (await fetch(`${server.url}/api/vigil/v1/agents`, { headers: auth })).json()) as { data?: Array<{ hostname: string; status: string; sources: Array<{ id: string; type: string }> }> } | Array<unknown>;
      const list = (Array.isArray(r) ? r : r.data ?? []) as Array<{ hostname: string; status: string; sources: Array<{ id: string; type: string }> }>;
      return list.length === 1 ? list : undefined;
    }, 20_000, 'the agent listed at the server');
    assert.equal(agents[0]?.status, 'up');
    assert.deepEqual(agents[0]?.sources.map((s) => [s.id, s.type]), [['edge', 'file']]);
    const query = async (q: string) => {
      const r = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(q)}`, { headers: auth });
      return ((await r.json()) as { data: { result: unknown[] } }).data.result;
    };
    await eventually(async () => (await query('node_load1{job="node"}')).length === 1, 30_000, 'agent host metrics at the server').catch((e) => { throw new Error(`${(e as Error).message}\n${agent.stderr().split('\n').filter((l) => /warn|error|remote/i.test(l)).slice(-8).join('\n')}`); });
    await eventually(async () => (await query(`probe_success{monitor="server-ready",location="${hostname()}"} == 1`)).length === 1, 30_000, 'agent probe results (labelled with its location) at the server');
    await agent.stop();
    await server.stop();
  });
});
