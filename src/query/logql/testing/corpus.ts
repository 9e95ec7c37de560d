/**
 * The fixed LogQL test corpus (testdata/corpus.json): three streams of tenant `fake` (json, logfmt
 * and plain lines with known timestamps) and one of tenant `other`. The engine tests load it into
 * the in-memory querier; a store can load it the same way to run the same expectations.
 */
import { readFileSync } from 'node:fs';
import type { LogBatch } from '../../../core/events.js';
import type { Labels } from '../../../core/labels.js';
import type { Micros } from '../../../core/time.js';

interface CorpusFile {
  t0: Micros;
  tenants: Record<string, Array<{ labels: Labels; entries: Array<[Micros, string]> }>>;
}

export interface Corpus {
  /** First timestamp of the corpus (2023-11-14T22:13:20Z). */
  t0: Micros;
  batches: Array<{ tenant: string; batch: LogBatch }>;
}

export function loadCorpus(): Corpus {
  const raw = JSON.parse(readFileSync(new URL('../testdata/corpus.json', import.meta.url), 'utf8')) as CorpusFile;
  const batches = Object.entries(raw.tenants).map(([tenant, streams]) => ({
    tenant,
    batch: { streams: streams.map((s) => ({ labels: s.labels, ts: s.entries.map((e) => e[0]), lines: s.entries.map((e) => e[1]) })) },
  }));
  return { t0: raw.t0, batches };
}
