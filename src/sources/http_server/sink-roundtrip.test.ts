// Vigil's own `http` sink (ndjson and json encodings, gzip) shipping to this source: every entry
// arrives with the sink's timestamp taken from `timestamp_field`.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Sink } from '../../components/contract.js';
import { makeTestContext } from '../../components/testing.js';
import httpSink from '../../sinks/http/index.js';
import { startHttpSource, type RunningSource } from '../shared-http/test-helpers.js';
import def from './index.js';

const running: RunningSource[] = [];
after(async () => {
  for (const r of running) await r.stop();
});

describe('http sink → http_server source', () => {
  for (const encoding of ['ndjson', 'json'] as const) {
    it(`delivers ${encoding} with gzip`, async () => {
      const r = await startHttpSource(def, { path: '/ingest', decoding: encoding, timestamp_field: 'timestamp' });
      running.push(r);
      const ctx = makeTestContext('sink', 'http');
      const sink = httpSink.build({ url: `${r.url}/ingest`, encoding, gzip: true }, ctx) as Sink;
      await sink.start();
      try {
        const T = 1_764_257_468_123_456;
        assert.deepEqual(await sink.send({ streams: [{ labels: { app: 'a' }, ts: [T, T + 7], lines: ['one', 'two'] }] }), { status: 'delivered' });
        const recs = r.records();
        assert.deepEqual(recs.map((x) => x.ts), [T, T + 7]);
        assert.deepEqual(recs.map((x) => (JSON.parse(x.line) as { line: string }).line), ['one', 'two']);
      } finally {
        await sink.stop();
        ctx.cleanup();
      }
    });
  }
});
