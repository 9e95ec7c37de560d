/**
 * The LogQL engine's corpus expectations (Loki-shaped outputs) run on the real embedded store:
 * once with the corpus still in the head (write-ahead log + memory), once cut into chunks, once
 * after a restart (replayed from the WAL and chunks).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { pino } from 'pino';
import { validateAgainst } from '../../src/config/validate.js';
import { logqlCorpusSuite } from '../../src/query/logql/testing/corpus-suite.js';
import type { Corpus } from '../../src/query/logql/testing/corpus.js';
import { LogStore, LogStoreConfigSchema, type LogStoreConfig } from '../../src/store/logs/index.js';

const stores: LogStore[] = [];
after(async () => {
  for (const s of stores) await s.stop();
});

async function open(dir: string, corpus: Corpus): Promise<LogStore> {
  const config = { reject_old_samples_max_age: '0s' } as Record<string, unknown>;
  const issues = validateAgainst(LogStoreConfigSchema, config);
  if (issues.length > 0) throw new Error(JSON.stringify(issues));
  const store = await LogStore.open({ dir, config: config as LogStoreConfig, logger: pino({ level: 'silent' }), now: () => corpus.t0 + 3600e6 });
  stores.push(store);
  return store;
}

async function loaded(corpus: Corpus, mode: 'head' | 'chunks' | 'restart'): Promise<LogStore> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-logql-${mode}-`));
  let store = await open(dir, corpus);
  for (const b of corpus.batches) await store.append(b.tenant, b.batch);
  if (mode === 'chunks') await store.flush();
  if (mode === 'restart') {
    await store.stop();
    store = await open(dir, corpus);
  }
  return store;
}

describe('LogQL corpus on the store, data in the head', () => logqlCorpusSuite((c) => loaded(c, 'head')));
describe('LogQL corpus on the store, data in chunks', () => logqlCorpusSuite((c) => loaded(c, 'chunks')));
describe('LogQL corpus on the store, after a restart', () => logqlCorpusSuite((c) => loaded(c, 'restart')));
