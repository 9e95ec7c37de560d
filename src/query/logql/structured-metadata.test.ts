import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { LogQLEngine } from './engine.js';
import { MemoryQuerier } from './testing/memory-querier.js';

const S = 1_000_000;
const T0 = 1_700_000_000 * S;

describe('structured metadata (entry fields) in LogQL', () => {
  const q = new MemoryQuerier();
  q.append(DEFAULT_TENANT, {
    streams: [{
      labels: { app: 'api' },
      ts: [T0 + 1 * S, T0 + 2 * S, T0 + 3 * S],
      lines: ['GET /a', 'GET /b', 'not json'],
      fields: [{ trace_id: 'abc' }, { trace_id: 'def', app: 'shadow' }, { __error__: 'JSONParserErr' }],
    }],
  });
  const engine = new LogQLEngine(q);
  const run = (query: string) => engine.query({ tenant: DEFAULT_TENANT, query, start: T0, end: T0 + 10 * S, limit: 100, direction: 'forward', kind: 'range' });

  it('filters on metadata like a label and shows it in the stream labels, as Loki 3 does', async () => {
    const r = await run('{app="api"} | trace_id="abc"');
    assert.deepEqual(r.result, [{ stream: { app: 'api', trace_id: 'abc' }, values: [[`${T0 + S}000`, 'GET /a']] }]);
  });

  it('gives a metadata name taken by a stream label the _extracted suffix', async () => {
    const r = await run('{app="api"} | trace_id="def"');
    assert.deepEqual(r.result, [{ stream: { app: 'api', app_extracted: 'shadow', trace_id: 'def' }, values: [[`${T0 + 2 * S}000`, 'GET /b']] }]);
  });

  it('finds ingest-time parse errors with __error__', async () => {
    const r = await run('{app="api"} | __error__="JSONParserErr"');
    assert.equal((r.result as Array<{ values: unknown[] }>)[0]?.values.length, 1);
    const m = await engine.query({ tenant: DEFAULT_TENANT, query: 'sum by (trace_id) (count_over_time({app="api"} | __error__="" [10s]))', start: T0 + 10 * S, end: T0 + 10 * S, limit: 100, direction: 'forward', kind: 'instant' });
    assert.deepEqual((m.result as Array<{ metric: Record<string, string> }>).map((x) => x.metric), [{ trace_id: 'abc' }, { trace_id: 'def' }]);
  });
});
