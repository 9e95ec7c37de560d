import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricValue, testServer } from './testing/harness.js';

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('auth', () => {
  it('accepts bearer and basic (token as password), refuses others with 401 and counts them', async () => {
    const t = await testServer({ auth: { tokens: ['s3cret', 'other'], publicMetrics: false } });
    const url = '/loki/api/v1/labels';
    assert.equal((await t.app.inject({ url, headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
    assert.equal((await t.app.inject({ url, headers: { authorization: 'bearer other' } })).statusCode, 200);
    assert.equal((await t.app.inject({ url, headers: { authorization: basic('grafana', 's3cret') } })).statusCode, 200);
    const missing = await t.app.inject({ url });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(missing.body, /^authentication required/);
    assert.match(String(missing.headers['www-authenticate']), /Bearer/);
    const wrong = await t.app.inject({ url, headers: { authorization: 'Bearer s3cre' } });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.body, 'invalid token\n');
    assert.equal((await t.app.inject({ url, headers: { authorization: basic('s3cret', 'x') } })).statusCode, 401);
    assert.equal((await t.app.inject({ url, headers: { authorization: 'Token s3cret' } })).statusCode, 401);
    const native = await t.app.inject({ url: '/api/vigil/v1/status' });
    assert.equal(native.statusCode, 401);
    assert.deepEqual(native.json(), { status: 'error', errorType: 'unauthorized', error: 'authentication required: send "Authorization: Bearer <token>" or basic auth with the token as password' });
    assert.equal(await metricValue(t.registry, 'vigil_http_auth_failures_total', { reason: 'missing' }), 2);
    assert.equal(await metricValue(t.registry, 'vigil_http_auth_failures_total', { reason: 'wrong' }), 2);
    assert.equal(await metricValue(t.registry, 'vigil_http_auth_failures_total', { reason: 'malformed' }), 1);
    // /ready is always open; /metrics only when public.
    assert.equal((await t.app.inject({ url: '/ready' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/metrics' })).statusCode, 401);
    // Push is protected too.
    assert.equal((await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode, 401);
    await t.app.close();
  });

  it('exempts /metrics when publicMetrics', async () => {
    const t = await testServer({ auth: { tokens: ['s3cret'], publicMetrics: true } });
    assert.equal((await t.app.inject({ url: '/metrics' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/metrics?x=1' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/loki/api/v1/labels' })).statusCode, 401);
    await t.app.close();
  });

  it('lets everything through without tokens', async () => {
    const t = await testServer();
    assert.equal((await t.app.inject({ url: '/loki/api/v1/labels' })).statusCode, 200);
    await t.app.close();
  });
});

describe('health, metrics, status', () => {
  it('/ready follows the ready callback', async () => {
    const t = await testServer();
    const ok = await t.app.inject({ url: '/ready' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'ready\n');
    t.ready.value = false;
    const no = await t.app.inject({ url: '/ready' });
    assert.equal(no.statusCode, 503);
    assert.equal(no.body, 'not ready\n');
    await t.app.close();
  });

  it('/metrics serves the registry with request metrics by route template', async () => {
    const t = await testServer();
    await t.app.inject({ url: '/loki/api/v1/label/app/values' });
    await t.app.inject({ url: '/loki/api/v1/label/host/values' });
    await t.app.inject({ url: '/nope' });
    const res = await t.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(res.body, /vigil_http_requests_total\{route="\/loki\/api\/v1\/label\/:name\/values",method="GET",status="200"\} 2/);
    assert.match(res.body, /vigil_http_requests_total\{route="unmatched",method="GET",status="404"\} 1/);
    assert.match(res.body, /vigil_http_request_duration_seconds_count\{route="\/loki\/api\/v1\/label\/:name\/values",method="GET"\} 2/);
    await t.app.close();
  });

  it('refuses oversize request headers on a real socket (431)', async () => {
    const t = await testServer();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/ready`, { headers: { 'x-big': 'a'.repeat(40_000) } });
    assert.equal(res.status, 431);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    assert.equal(ok.status, 200);
    await t.app.close();
  });

  it('buildinfo and the native status', async () => {
    const t = await testServer();
    const bi = (await t.app.inject({ url: '/loki/api/v1/status/buildinfo' })).json();
    assert.equal(bi.version, '9.9.9-test');
    assert.equal(typeof bi.revision, 'string');
    const st = (await t.app.inject({ url: '/api/vigil/v1/status' })).json();
    assert.equal(st.status, 'success');
    assert.equal(st.data.version, '9.9.9-test');
    assert.equal(st.data.ready, true);
    assert.equal(typeof st.data.uptimeSeconds, 'number');
    await t.app.close();
  });

  it('unknown routes: 404 as text under /loki, JSON envelope elsewhere', async () => {
    const t = await testServer();
    const loki = await t.app.inject({ url: '/loki/api/v1/nope' });
    assert.equal(loki.statusCode, 404);
    assert.equal(loki.body, 'no route for GET /loki/api/v1/nope\n');
    const native = await t.app.inject({ url: '/api/vigil/v1/nope?x=1' });
    assert.deepEqual(native.json(), { status: 'error', errorType: 'not_found', error: 'no route for GET /api/vigil/v1/nope' });
    await t.app.close();
  });
});
