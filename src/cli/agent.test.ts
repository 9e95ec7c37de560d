/**
 * startAgent loads the monitor service only when monitors are configured (it pulls in SQLite for
 * the probe history); a reload that adds the first monitor must still start probing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../config/load.js';
import { scriptedReceiver, until } from '../metrics/remote-write/testing.js';
import { startAgent } from './agent.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(remoteWriteUrl: string, monitors: Record<string, unknown>) {
  return resolveConfig(
    {
      server: { listen: '127.0.0.1:0' },
      storage: { path: join(dir, 'data') },
      logging: { format: 'json', file: false },
      host_metrics: { enabled: false },
      sources: { app: { type: 'file', include: [join(dir, '*.log')] } },
      sinks: { out: { type: 'file', path: join(dir, 'out.ndjson') } },
      remote_write: [{ url: remoteWriteUrl, queue_config: { batch_send_deadline: '50ms', min_backoff: '10ms', max_backoff: '100ms' } }],
      monitors,
    },
    { mode: 'agent', env: {}, cwd: dir },
  );
}

it('a reload that adds the first monitor starts probing from this location', async () => {
  const receiver = await scriptedReceiver();
  const target: Server = createServer((s) => s.end());
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = (target.address() as { port: number }).port;
  const agent = await startAgent(config(receiver.url, {}), pino({ level: 'silent' }));
  try {
    assert.equal((await fetch(`${agent.url}/ready`)).status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const probed = () => receiver.requests.some((q) => q.series.some((s) => s.labels['__name__'] === 'probe_success' && s.labels['monitor'] === 'target-up'));
    assert.equal(probed(), false, 'no monitor is configured yet');
    await agent.reload(config(receiver.url, { 'target-up': { type: 'tcp', target: `127.0.0.1:${port}`, interval: '1s', timeout: '500ms' } }));
    await until(probed, 15_000, 'probe_success{monitor="target-up"} remote-written after the reload');
  } finally {
    await agent.stop();
    await receiver.close();
    target.close();
  }
});
