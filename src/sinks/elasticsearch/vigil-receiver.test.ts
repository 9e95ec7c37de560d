/**
 * Agent → server over the Elasticsearch protocol: this sink sending to Vigil's own `_bulk`
 * receiver (src/sources/elasticsearch/), which answers in Elasticsearch 8's shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import { VigilError } from '../../core/errors.js';
import { startHttpSource, type RunningSource } from '../../sources/shared-http/test-helpers.js';
import sourceDef from '../../sources/elasticsearch/index.js';
import def from './index.js';

const T = Date.parse('2026-11-27T15:31:08.123Z') * 1000 + 456;

describe('elasticsearch sink → Vigil _bulk receiver', () => {
  let src: RunningSource;
  before(async () => {
    src = await startHttpSource(sourceDef, { labels: { via: 'es' } });
  });
  after(async () => {
    await src.stop();
  });

  it('every entry arrives with its microsecond timestamp, message, labels and fields (gzip and plain)', async () => {
    for (const gzip of [false, true]) {
      src.ctx.emitted.length = 0;
      const ctx = makeTestContext('sink', 'elasticsearch');
      const sink = def.build({ url: src.url, index: 'vigil-{{ labels.service }}-%Y.%m.%d', action: 'create', gzip }, ctx);
      await sink.start();
      try {
        const batch: LogBatch = {
          streams: [
            { labels: { service: 'api', level: 'warn' }, ts: [T, T + 1], lines: ['GET /a 200', 'ünïcode ✓'], fields: [{ trace_id: 'abc' }, undefined] },
            { labels: { service: 'db' }, ts: [T + 2], lines: ['slow query'] },
          ],
        };
        assert.deepEqual(await sink.send(batch), { status: 'delivered' });
        const recs = src.records();
        assert.equal(recs.length, 3);
        assert.deepEqual(recs.map((r) => [r.labels['index'], r.labels['via'], r.ts]), [
          ['vigil-api-2026.11.27', 'es', T],
          ['vigil-api-2026.11.27', 'es', T + 1],
          ['vigil-db-2026.11.27', 'es', T + 2],
        ]);
        const docs = recs.map((r) => JSON.parse(r.line) as Record<string, unknown>);
        assert.deepEqual(docs[0], { '@timestamp': '2026-11-27T15:31:08.123456Z', message: 'GET /a 200', labels: { service: 'api', level: 'warn' }, trace_id: 'abc' });
        assert.equal(docs[1]?.['message'], 'ünïcode ✓');
      } finally {
        await sink.stop();
        ctx.cleanup();
      }
    }
  });

  it('when the receiver cannot take the batch durably the send is retried, and the retry lands', async () => {
    let fail = 1;
    src.ctx.onEmit = async () => {
      if (fail-- > 0) throw new VigilError('UNAVAILABLE', 'sink buffer full');
    };
    src.ctx.emitted.length = 0;
    const ctx = makeTestContext('sink', 'elasticsearch');
    const sink = def.build({ url: src.url, action: 'create' }, ctx);
    await sink.start();
    try {
      const batch: LogBatch = { streams: [{ labels: { service: 'api' }, ts: [T], lines: ['once'] }] };
      const first = await sink.send(batch);
      assert.notEqual(first.status, 'delivered');
      assert.notEqual(first.status, 'rejected', 'a receiver that could not store must not make us drop the data');
      assert.deepEqual(await sink.send(batch), { status: 'delivered' });
      assert.deepEqual(src.records().map((r) => r.line.includes('"once"')), [true]);
    } finally {
      src.ctx.onEmit = async () => {};
      await sink.stop();
      ctx.cleanup();
    }
  });
});
