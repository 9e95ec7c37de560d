import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandlers } from '../server/errors.js';
import { isPublicMonitorPath, registerMonitorRoutes } from './routes.js';
import { monitors, scripted, service, tempDir } from './testdata/helpers.js';

test('monitors list, history and the push route over HTTP', async (t) => {
  const dir = tempDir();
  scripted.set('r1', { success: false, durationSeconds: 0.012, reason: 'status 503', samples: [] });
  const svc = service({
    dataDir: dir,
    monitors: monitors({
      api: { type: 'fake', target: 'r1', interval: '100ms', timeout: '50ms' },
      backup: { type: 'heartbeat', token: 'push-token-0123456789', interval: '1h' },
    }),
  });
  await svc.start();
  const app = Fastify();
  installErrorHandlers(app);
  await app.register(async (scope) => registerMonitorRoutes(scope, svc));
  t.after(async () => {
    await app.close();
    await svc.stop();
    scripted.delete('r1');
  });
  await new Promise((r) => setTimeout(r, 300));

  const list = await app.inject({ url: '/api/vigil/v1/monitors' });
  assert.equal(list.statusCode, 200);
  const rows = list.json().data as Array<Record<string, unknown>>;
  assert.deepEqual(rows.map((r) => [r['name'], r['type'], r['state']]), [['api', 'fake', 'DOWN'], ['backup', 'heartbeat', 'PENDING']]);
  assert.equal(rows[0]?.['reason'], 'status 503');
  assert.equal(rows[0]?.['lastLatencyMs'], 12);
  assert.equal(rows[0]?.['uptime24h'], 0);

  const push = await app.inject({ method: 'POST', url: '/api/vigil/v1/push/push-token-0123456789', payload: 'status=up&msg=done&ping=2500', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(push.statusCode, 200, push.body);
  assert.deepEqual(push.json(), { ok: true, monitor: 'backup' });
  const get = await app.inject({ url: '/api/vigil/v1/push/push-token-0123456789?status=down&msg=tar%20failed' });
  assert.equal(get.statusCode, 200);
  const unknown = await app.inject({ url: '/api/vigil/v1/push/not-a-token-at-all' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().errorType, 'not_found');
  const badStatus = await app.inject({ url: '/api/vigil/v1/push/push-token-0123456789?status=maybe' });
  assert.equal(badStatus.statusCode, 400);
  assert.match(badStatus.json().error, /status: must be "up" or "down"/);

  const hist = await app.inject({ url: '/api/vigil/v1/monitors/backup/history?since=1h' });
  assert.equal(hist.statusCode, 200);
  const h = hist.json().data;
  assert.deepEqual(h.transitions.map((x: { to: string; reason: string }) => [x.to, x.reason]), [['UP', 'done'], ['DOWN', 'tar failed']]);
  assert.deepEqual(h.runs.map((r: { success: boolean; latencyMs: number }) => [r.success, r.latencyMs]), [[true, 2500], [false, 0]]);
  assert.equal((await app.inject({ url: '/api/vigil/v1/monitors/nope/history' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/api/vigil/v1/monitors/api/history?since=yesterday-ish' })).statusCode, 400);

  assert.equal(isPublicMonitorPath('/api/vigil/v1/push/abc?status=up'), true);
  assert.equal(isPublicMonitorPath('/api/vigil/v1/monitors'), false);
});
