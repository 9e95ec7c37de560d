/**
 * Agent → server through the real topology: the file source tails a log, the loki sink pushes it
 * to a second in-process Vigil server, and every line arrives with the source's labels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ComponentMetricFamilies } from '../../components/metrics.js';
import { loadConfigText } from '../../config/load.js';
import { Topology } from '../../pipeline/topology.js';
import { testServer } from '../../server/testing/harness.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('file source → loki sink → Vigil server: every line arrives once, in order, with labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-loki-e2e-'));
  const server = await testServer();
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const log = join(dir, 'app.log');
  writeFileSync(log, 'line one\nline two\n');
  const config = loadConfigText(
    `
storage:
  path: ${join(dir, 'data')}
sources:
  app:
    type: file
    include: [${join(dir, '*.log')}]
    start_at: beginning
    labels: { service: checkout }
    poll_interval: 20ms
    batch_timeout: 10ms
sinks:
  central:
    type: loki
    url: ${url}
    labels: { cluster: eu-1 }
    inputs: [app]
`,
    { mode: 'agent', env: {}, cwd: dir },
  );
  const topo = new Topology(config, { logger: pino({ level: 'silent' }), families: new ComponentMetricFamilies(new Registry()), hostname: 'agent-host', stores: {} });
  try {
    await topo.start();
    await waitFor(() => server.store.dump(DEFAULT_TENANT).length >= 2, 10_000);
    appendFileSync(log, 'line three ✓\n');
    await waitFor(() => server.store.dump(DEFAULT_TENANT).length >= 3, 10_000);
    const rows = server.store.dump(DEFAULT_TENANT);
    assert.deepEqual(rows.map((r) => r.line), ['line one', 'line two', 'line three ✓']);
    for (const r of rows) {
      assert.equal(r.labels['service'], 'checkout');
      assert.equal(r.labels['cluster'], 'eu-1');
      assert.equal(r.labels['filename'], log);
      assert.ok(Math.abs(r.ts - Date.now() * 1000) < 60_000_000, 'timestamped at read time');
    }
  } finally {
    await topo.stop();
    await server.app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
