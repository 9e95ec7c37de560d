// Vigil's own `elasticsearch` sink (agent side) shipping to this source (server side): the requests
// the sink makes (template, gzip bulk with `create` and deterministic ids) are accepted and stored.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeTestContext } from '../../components/testing.js';
import type { Sink } from '../../components/contract.js';
import esSink from '../../sinks/elasticsearch/index.js';
import { startHttpSource, type RunningSource } from '../shared-http/test-helpers.js';
import def from './index.js';

const running: RunningSource[] = [];
after(async () => {
  for (const r of running) await r.stop();
});

describe('elasticsearch sink → elasticsearch source', () => {
  it('delivers a batch that the source stores document by document', async () => {
    const r = await startHttpSource(def, { label_fields: ['labels.service'], auth: { tokens: ['k3y'] } });
    running.push(r);
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = esSink.build({ url: r.url, index: 'vigil-%Y.%m.%d', action: 'create', gzip: true, create_template: true, auth: { api_key: 'k3y' } }, ctx) as Sink;
    await sink.start();
    try {
      const T = 1_764_257_468_123_456;
      const res = await sink.send({ streams: [{ labels: { service: 'api', level: 'info' }, ts: [T, T + 1], lines: ['first', 'second "quoted"'], fields: [{ trace_id: 't1' }, undefined] }] });
      assert.deepEqual(res, { status: 'delivered' });
      const recs = r.records();
      assert.equal(recs.length, 2);
      assert.deepEqual(recs.map((x) => x.ts), [T, T + 1]);
      assert.deepEqual(recs.map((x) => (JSON.parse(x.line) as { message: string }).message), ['first', 'second "quoted"']);
      assert.deepEqual(recs[0]?.labels, { labels_service: 'api', index: 'vigil-2025.11.27' });
      assert.equal((JSON.parse(recs[0]?.line ?? '{}') as { trace_id?: string }).trace_id, 't1');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });
});
