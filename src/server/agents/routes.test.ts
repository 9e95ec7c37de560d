import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildAgentReport } from '../../agent-identity/report.js';
import { installErrorHandlers } from '../errors.js';
import { AgentRegistry } from './registry.js';
import { AGENT_REPORT_BODY_LIMIT, agentsPlugin, registerAgentRoutes } from './routes.js';

const logger = pino({ level: 'silent' });

function report(id = '4b4b0a6e-2f0e-4c55-9f0c-8d1a2e3f4a5b', hostname = 'web-1') {
  return buildAgentReport(id, { hostname, labels: { dc: 'eu-1' }, reportIntervalS: 10, description: { sources: [{ id: 'varlog', type: 'file', summary: '/var/log/*.log' }], sinks: [{ id: 'central', type: 'vigil' }] } });
}

describe('agents API', () => {
  let dir: string;
  let clock: number;
  let metrics: Registry;
  let reg: AgentRegistry;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-agents-'));
    clock = Date.parse('2026-11-27T16:00:00Z');
    metrics = new Registry();
    reg = new AgentRegistry({ dataDir: dir, logger, metrics, now: () => clock, writeDelayMs: 5 });
    app = Fastify();
    installErrorHandlers(app);
    await registerAgentRoutes(app, reg);
  });
  afterEach(async () => {
    await app.close();
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a report and lists the agent with first/last seen, status up, address', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report() });
    assert.equal(res.statusCode, 200, res.body);
    clock += 5000;
    await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report() });
    const list = (await app.inject({ method: 'GET', url: '/api/vigil/v1/agents' })).json<{ status: string; data: Array<Record<string, unknown>> }>();
    assert.equal(list.status, 'success');
    assert.equal(list.data.length, 1);
    const a = list.data[0] ?? {};
    assert.equal(a['id'], '4b4b0a6e-2f0e-4c55-9f0c-8d1a2e3f4a5b');
    assert.equal(a['hostname'], 'web-1');
    assert.equal(a['status'], 'up');
    assert.equal(a['first_seen'], '2026-11-27T16:00:00.000Z');
    assert.equal(a['last_seen'], '2026-11-27T16:00:05.000Z');
    assert.equal(a['address'], '127.0.0.1');
    assert.deepEqual(a['sources'], [{ id: 'varlog', type: 'file', summary: '/var/log/*.log' }]);
    assert.deepEqual(a['labels'], { dc: 'eu-1' });
  });

  it('turns stale after three missed intervals and counts vigil_agents{status}', async () => {
    await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report('a1', 'web-1') });
    await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: { ...report('a2', 'web-2'), report_interval_s: 60 } });
    clock += 31_000; // > 3 × 10 s for a1, < 3 × 60 s for a2
    const list = (await app.inject({ method: 'GET', url: '/api/vigil/v1/agents' })).json<{ data: Array<{ id: string; status: string }> }>();
    assert.deepEqual(list.data.map((a) => [a.id, a.status]), [['a1', 'stale'], ['a2', 'up']]);
    const text = await metrics.metrics();
    assert.match(text, /vigil_agents\{status="up"\} 1/);
    assert.match(text, /vigil_agents\{status="stale"\} 1/);
  });

  it('400 names the JSON path of every problem; unknown extra keys are accepted and not stored', async () => {
    const bad = { ...report(), hostname: '', sources: [{ id: 'x', type: 5 }], os: { platform: 'linux', arch: 'x64' } };
    const res = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: bad });
    assert.equal(res.statusCode, 400);
    const err = res.json<{ status: string; error: string }>();
    assert.equal(err.status, 'error');
    assert.match(err.error, /body\.hostname: /);
    assert.match(err.error, /body\.sources\[0\]\.type: must be string/);
    assert.match(err.error, /body\.os\.release: /);
    const notObject = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: [1, 2], headers: { 'content-type': 'application/json' } });
    assert.equal(notObject.statusCode, 400);
    const broken = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: '{"id":', headers: { 'content-type': 'application/json' } });
    assert.equal(broken.statusCode, 400);
    const extra = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: { ...report(), future_key: { x: 1 } } });
    assert.equal(extra.statusCode, 200);
    assert.equal('future_key' in (reg.list()[0] ?? {}), false);
  });

  it('refuses bodies over the limit with 413', async () => {
    const big = { ...report(), labels: { pad: 'x'.repeat(AGENT_REPORT_BODY_LIMIT) } };
    const res = await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: big });
    assert.equal(res.statusCode, 413);
  });

  it('persists to agents.json atomically and survives a restart', async () => {
    await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report() });
    await reg.flush();
    assert.deepEqual(readdirSync(dir), ['agents.json'], 'no temp file left behind');
    const again = new AgentRegistry({ dataDir: dir, logger, now: () => clock });
    assert.equal(again.list()[0]?.id, '4b4b0a6e-2f0e-4c55-9f0c-8d1a2e3f4a5b');
    assert.equal(again.list()[0]?.first_seen, '2026-11-27T16:00:00.000Z');
    await again.close();
  });

  it('writes are coalesced and happen without an explicit flush', async () => {
    await app.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report() });
    for (let i = 0; i < 50 && !existsSync(join(dir, 'agents.json')); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(existsSync(join(dir, 'agents.json')));
  });

  it('a corrupt agents file is moved aside, never fatal; malformed records are skipped', async () => {
    writeFileSync(join(dir, 'agents.json'), '{"version":1,"agents":[');
    const r1 = new AgentRegistry({ dataDir: dir, logger });
    assert.equal(r1.list().length, 0);
    assert.ok(existsSync(join(dir, 'agents.json.corrupt')));
    await r1.close();
    writeFileSync(join(dir, 'agents.json'), JSON.stringify({ version: 1, agents: [{ nope: 1 }, { report: report('ok1'), first_seen: 'x', last_seen: new Date(clock).toISOString() }] }));
    const r2 = new AgentRegistry({ dataDir: dir, logger, now: () => clock });
    assert.deepEqual(r2.list().map((a) => a.id), ['ok1']);
    await r2.close();
    assert.match(readFileSync(join(dir, 'agents.json'), 'utf8'), /ok1/);
  });

  it('works as a registered plugin under the root error envelope', async () => {
    const other = Fastify();
    installErrorHandlers(other);
    await other.register(agentsPlugin, { registry: reg });
    try {
      const ok = await other.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: report('p1') });
      assert.equal(ok.statusCode, 200);
      const bad = await other.inject({ method: 'POST', url: '/api/vigil/v1/agents', payload: { id: 'p1' } });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json<{ error: string }>().error, /body\.hostname: is required; .*body\.labels: is required/);
    } finally {
      await other.close();
    }
  });
});
