import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { LogQLEngine, formatQueryError } from '../../src/query/logql/index.js';
import { LogStore, defaultLogStoreConfig } from '../../src/store/logs/index.js';
import { testServer } from '../../src/server/testing/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'probe-'));
const store = await LogStore.open({ dir, config: defaultLogStoreConfig(), logger: pino({ level: 'silent' }), registry: new Registry() });
const t = await testServer({ appender: store, querier: store, engine: new LogQLEngine(store), parseErrorFormatter: formatQueryError });
const now = Date.now() * 1e6;
const ns = (k: number) => String(BigInt(now) - BigInt(k) * 1000000000n);
async function push(body: unknown, headers: Record<string,string> = {}) {
  const r = await t.app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  console.log('PUSH', r.statusCode, r.body);
}
await push({ streams: [
  { stream: { app: 'b' }, values: [[ns(5), 'b5'], [ns(3), 'b3'], [ns(1), 'b1']] },
  { stream: { app: 'a' }, values: [[ns(4), 'a4'], [ns(2), 'a2']] },
  { stream: { app: 'c', env: '' }, values: [[ns(4), 'c4']] },
]});
async function get(url: string) { const r = await t.app.inject({ url }); console.log('GET', url, r.statusCode, r.body.slice(0, 1500)); }
const q = (s: string) => encodeURIComponent(s);
await get(`/loki/api/v1/query_range?query=${q('{app=~"a|b"}')}&limit=3`);
await get(`/loki/api/v1/query_range?query=${q('{app=~"a|b"}')}&limit=3&direction=forward`);
await get(`/loki/api/v1/query?query=${q('{app=~"a|b"}')}&limit=3`);
await get(`/loki/api/v1/query?query=${q('count_over_time({app=~".+"}[1m])')}`);
await get(`/loki/api/v1/query_range?query=${q('count_over_time({app=~".+"}[1m])')}&step=60`);
await get(`/loki/api/v1/labels`);
await get(`/loki/api/v1/label/env/values`);
await get(`/loki/api/v1/series?match[]=${q('{app="c"}')}`);
await get(`/loki/api/v1/query?query=${q('{app="c", env=""}')}`);
await get(`/loki/api/v1/query_range?query=${q('{app="c"}')}`);
await t.app.close(); await store.stop();
