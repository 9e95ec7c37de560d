import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { LogQLEngine } from './engine.js';
import { loadCorpus, type Corpus } from './testing/corpus.js';
import { logqlCorpusSuite } from './testing/corpus-suite.js';
import { MemoryQuerier } from './testing/memory-querier.js';

function memoryQuerier(corpus: Corpus, batchSize?: number): MemoryQuerier {
  const q = new MemoryQuerier(batchSize);
  for (const b of corpus.batches) q.append(b.tenant, b.batch);
  return q;
}

logqlCorpusSuite((corpus) => memoryQuerier(corpus));

describe('store access', () => {
  const corpus = loadCorpus();
  const T0 = corpus.t0;
  const req = { tenant: DEFAULT_TENANT, start: T0, end: T0 + 60e6, limit: 1, direction: 'backward' as const, kind: 'range' as const };

  it('log queries push line filters down, read in time order and stop at the limit', async () => {
    const q = memoryQuerier(corpus, 1);
    const d = await new LogQLEngine(q).query({ ...req, query: '{app=~"api|web"} |= "error" or "warn" != "503" | json' });
    assert.deepEqual(q.lastSelect?.lineFilters, [{ op: '|~', value: 'error|warn' }, { op: '!=', value: '503' }]);
    assert.equal(q.lastSelect?.order, 'time');
    assert.equal(q.lastSelect?.direction, 'backward');
    assert.deepEqual([q.lastSelect?.start, q.lastSelect?.end], [T0, T0 + 60e6]);
    assert.equal(d.stats.summary.totalEntriesReturned, 1);
    assert.ok(q.entriesYielded <= 2, `read ${q.entriesYielded} entries for limit 1`);
  });

  it('refuses metric queries with more series at one step than maxSeries', async () => {
    const e = new LogQLEngine(memoryQuerier(corpus), { maxSeries: 2 });
    await assert.rejects(e.query({ ...req, kind: 'instant', query: 'count_over_time({app=~".+"}[1m])' }), /maximum of series \(2\) reached/);
    // as in Loki, the limit also holds for the range aggregation under a vector aggregation
    await assert.rejects(e.query({ ...req, kind: 'instant', query: 'sum(count_over_time({app=~".+"}[1m]))' }), /maximum of series/);
    const ok = await e.query({ ...req, kind: 'instant', query: 'count_over_time({env="prod"}[1m])' });
    assert.equal(ok.resultType === 'vector' && ok.result.length, 2);
  });

  it('metric queries read by stream over (first step - range - offset, last step - offset]', async () => {
    const q = memoryQuerier(corpus);
    await new LogQLEngine(q).query({ ...req, query: 'count_over_time({app="api"} |= "x" | json |= "late" [1m] offset 10s)', step: 10e6 });
    assert.equal(q.lastSelect?.order, 'stream');
    assert.equal(q.lastSelect?.direction, 'forward');
    assert.deepEqual([q.lastSelect?.start, q.lastSelect?.end], [T0 - 70e6 + 1, T0 + 50e6 + 1]);
    assert.deepEqual(q.lastSelect?.lineFilters, [{ op: '|=', value: 'x' }]);
  });
});
