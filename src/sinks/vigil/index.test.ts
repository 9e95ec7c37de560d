import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { conformance } from '../../components/conformance.js';
import type { Sink } from '../../components/contract.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import { setAgentDescription, type AgentReport } from '../../agent-identity/report.js';
import { AgentRegistry } from '../../server/agents/registry.js';
import { registerAgentRoutes } from '../../server/agents/routes.js';
import { testServer, type TestServer } from '../../server/testing/harness.js';
import { scriptedServer, type ScriptedServer } from '../http/test-server.js';
import def from './index.js';

conformance(def, import.meta.url, { config: () => ({ servers: ['http://127.0.0.1:1'], report: false }) });

const now = Math.floor(Date.now() / 1000) * 1_000_000;
const batch = (line = 'hello'): LogBatch => ({ streams: [{ labels: { service: 'api' }, ts: [now + 7], lines: [line], fields: [{ trace_id: 't9' }] }] });

async function build(ctx: TestContext, config: Parameters<typeof def.build>[0]): Promise<Sink> {
  const s = def.build(config, ctx);
  await s.start();
  return s;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Peer {
  t: TestServer;
  url: string;
  agents: AgentRegistry;
  dir: string;
}

async function vigilServer(): Promise<Peer> {
  const t = await testServer({ multiTenant: true, auth: { tokens: ['s3cret'], publicMetrics: false } });
  const ctx = makeTestContext('sink', 'x');
  const agents = new AgentRegistry({ dataDir: ctx.dataDir, logger: pino({ level: 'silent' }), metrics: t.registry });
  await registerAgentRoutes(t.app, agents);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { t, url: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, agents, dir: ctx.dataDir };
}

describe('vigil sink → Vigil server (agent to server)', () => {
  let a: Peer;
  let b: Peer;
  before(async () => {
    a = await vigilServer();
    b = await vigilServer();
  });
  after(async () => {
    await a.t.app.close();
    await b.t.app.close();
    await a.agents.close();
    await b.agents.close();
  });
  afterEach(() => setAgentDescription(undefined));

  it('pushes entries with labels, µs timestamps, metadata, tenant and token; reports the agent', async () => {
    setAgentDescription(() => ({ sources: [{ id: 'varlog', type: 'file', summary: '/var/log/*.log' }], sinks: [{ id: 'central', type: 'vigil' }] }));
    const ctx = makeTestContext('sink', 'vigil', 'central');
    const sink = await build(ctx, { servers: [`${a.url}/`], token: 's3cret', tenant: 'fleet', labels: { dc: 'eu-1' } });
    try {
      assert.deepEqual(await sink.send(batch()), { status: 'delivered' });
      assert.deepEqual(a.t.store.dump('fleet'), [{ labels: { dc: 'eu-1', service: 'api' }, ts: now + 7, line: 'hello', fields: { trace_id: 't9' } }]);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 1);
      await until(() => a.agents.list().length === 1, 'the agent report');
      const id = readFileSync(join(ctx.dataDir, 'agent-id'), 'utf8').trim();
      const agent = a.agents.get(id);
      assert.ok(agent, 'reported under the persisted id');
      assert.equal(agent.hostname, 'testhost');
      assert.equal(agent.status, 'up');
      assert.deepEqual(agent.sources, [{ id: 'varlog', type: 'file', summary: '/var/log/*.log' }]);
      assert.deepEqual(agent.sinks, [{ id: 'central', type: 'vigil' }]);
      assert.deepEqual(agent.labels, { dc: 'eu-1' });
      assert.equal(agent.report_interval_s, 60);
      assert.equal(agent.os.platform, process.platform);
      assert.equal(agent.node, process.version);
    } finally {
      await sink.stop();
    }
    // Same data dir after a restart: same id, no second agent.
    const again = await build(ctx, { servers: [a.url], token: 's3cret', report_interval: '50ms' });
    try {
      const before = a.agents.list()[0]?.last_seen ?? '';
      await until(() => (a.agents.list()[0]?.last_seen ?? '') > before, 'a second report');
      assert.equal(a.agents.list().length, 1);
    } finally {
      await again.stop();
      ctx.cleanup();
    }
  });

  it('a wrong token is a rejection (4xx), not a failover', async () => {
    const ctx = makeTestContext('sink', 'vigil');
    const sink = await build(ctx, { servers: [a.url, b.url], token: 'wrong', report: false });
    try {
      const r = await sink.send(batch());
      assert.equal(r.status, 'rejected');
      assert.match((r as { reason: string }).reason, /answered 401/);
      assert.equal(b.t.store.dump('default').length + b.t.store.dump('fleet').length, 0);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('fails over from a dead server to the next within one send, and stays there', async () => {
    const ctx = makeTestContext('sink', 'vigil');
    const sink = await build(ctx, { servers: ['http://127.0.0.1:1', b.url], token: 's3cret', tenant: 'fo', report: false, timeout: '2s' });
    try {
      assert.deepEqual(await sink.send(batch('first')), { status: 'delivered' });
      assert.deepEqual(await sink.send(batch('second')), { status: 'delivered' });
      assert.deepEqual(b.t.store.dump('fo').map((r) => r.line), ['first', 'second']);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('when every server is down the send is errored (retried later by delivery)', async () => {
    const ctx = makeTestContext('sink', 'vigil');
    const sink = await build(ctx, { servers: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], report: false, timeout: '1s' });
    try {
      const r = await sink.send(batch());
      assert.equal(r.status, 'errored');
      assert.match((r as { error: string }).error, /127\.0\.0\.1:2: connection refused/);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });
});

describe('vigil sink failover and failback (scripted servers)', () => {
  let primary: ScriptedServer;
  let secondary: ScriptedServer;
  before(async () => {
    primary = await scriptedServer();
    secondary = await scriptedServer();
  });
  after(async () => {
    await primary.close();
    await secondary.close();
  });

  it('a 5xx moves to the next server; a ready primary is taken back after failback_interval', async () => {
    primary.requests.length = 0;
    primary.answers.length = 0;
    secondary.requests.length = 0;
    const ctx = makeTestContext('sink', 'vigil');
    primary.answers.push({ status: 503, body: 'down for maintenance' });
    const sink = await build(ctx, { servers: [primary.url, secondary.url], report: false, failback_interval: '50ms' });
    try {
      assert.deepEqual(await sink.send(batch('one')), { status: 'delivered' });
      assert.equal(`${primary.requests[0]?.method} ${primary.requests[0]?.url}`, 'POST /loki/api/v1/push');
      assert.deepEqual(secondary.requests.map((r) => `${r.method} ${r.url}`), ['POST /loki/api/v1/push']);
      assert.equal(secondary.requests[0]?.headers['content-type'], 'application/x-protobuf');
      // The primary is back: every /ready check from now on is answered 200 (checks may overlap
      // on a loaded machine; the first answer read switches the sink back).
      for (let i = 0; i < 50; i++) primary.answers.push({ status: 200, body: 'ready\n' });
      await until(() => primary.requests.some((r) => r.url === '/ready'), 'the failback check');
      // The server records /ready when it arrives; the sink switches back once it has read the answer.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await sink.send(batch('two')), { status: 'delivered' });
      const seen = primary.requests.map((r) => `${r.method} ${r.url}`);
      assert.equal(seen[seen.length - 1], 'POST /loki/api/v1/push', seen.join(', '));
      assert.ok(seen.slice(1, -1).length > 0 && seen.slice(1, -1).every((x) => x === 'GET /ready'), seen.join(', '));
      assert.equal(secondary.requests.length, 1);
    } finally {
      await sink.stop();
      primary.answers.length = 0;
      ctx.cleanup();
    }
  });

  it('a 429 is retried later on the same server (Retry-After), not failed over', async () => {
    primary.requests.length = 0;
    secondary.requests.length = 0;
    const ctx = makeTestContext('sink', 'vigil');
    primary.answers.push({ status: 429, headers: { 'retry-after': '4' }, body: 'slow down' });
    const sink = await build(ctx, { servers: [primary.url, secondary.url], report: false });
    try {
      const r = await sink.send(batch());
      assert.equal(r.status, 'errored');
      assert.equal((r as { retryAfterMs?: number }).retryAfterMs, 4000);
      assert.equal(secondary.requests.length, 0);
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('a failing agent report never affects the data path', async () => {
    primary.requests.length = 0;
    const ctx = makeTestContext('sink', 'vigil');
    primary.answers.push({ status: 404, body: 'no agents API here' });
    const sink = await build(ctx, { servers: [primary.url] });
    try {
      await until(() => primary.requests.length === 1, 'the report');
      const sent = JSON.parse(primary.requests[0]?.body.toString() ?? '{}') as AgentReport;
      assert.equal(primary.requests[0]?.url, '/api/vigil/v1/agents');
      assert.match(sent.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(await sink.send(batch()), { status: 'delivered' });
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });
});
