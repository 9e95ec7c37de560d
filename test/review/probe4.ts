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
const T = Math.floor(Date.now()/1000) - 100;
await store.append('fake', { streams: [{ labels: { app: 'f' }, ts: [T*1e6, T*1e6, T*1e6, T*1e6], lines: ['l1', 'l2', 'l3', 'l4'] }] });
console.log(await store.append('fake', { streams: [{ labels: { app: 'f' }, ts: [T*1e6 - 5], lines: ['l0'] }] }));
async function get(url: string) { const r = await t.app.inject({ url }); console.log('GET', url, r.statusCode, JSON.stringify(JSON.parse(r.body).data?.result)); }
const q = (x: string) => encodeURIComponent(x);
await get(`/loki/api/v1/query_range?query=${q('{app="f"}')}&start=${T-3600}&end=${T+1}&limit=2`);
await get(`/loki/api/v1/query_range?query=${q('{app="f"}')}&start=${T-3600}&end=${T+1}&limit=2&direction=forward`);
await get(`/loki/api/v1/query_range?query=${q('{app="f"}')}&start=${T-3600}&end=${T+1}&limit=10`);
await t.app.close(); await store.stop();
