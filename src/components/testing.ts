/**
 * Helpers for component tests: a real context (real logger at silent level, real metrics
 * registry, a fresh temp data dir). Used by the conformance suite and by each component's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { LogBatch } from '../core/events.js';
import { nowMicros } from '../core/time.js';
import type { ComponentContext, ComponentKind, SourceContext } from './contract.js';
import { ComponentMetricFamilies } from './metrics.js';

export interface TestContext extends SourceContext {
  registry: Registry;
  /** Batches emitted so far (sources). */
  emitted: LogBatch[];
  /** Replace to make emit slow or fail. */
  onEmit: (batch: LogBatch) => Promise<void>;
  abort(): void;
  cleanup(): void;
}

export function makeTestContext(kind: ComponentKind, type: string, id = `test_${type}`, dataDir?: string): TestContext {
  const registry = new Registry();
  const fams = new ComponentMetricFamilies(registry);
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), `vigil-${type}-`));
  const ac = new AbortController();
  const ctx: TestContext = {
    id,
    kind,
    logger: pino({ level: process.env['VIGIL_TEST_LOG'] ?? 'silent' }),
    metrics: fams.forComponent(id, kind, type),
    dataDir: dir,
    hostname: 'testhost',
    signal: ac.signal,
    now: nowMicros,
    stores: {},
    registry,
    emitted: [],
    onEmit: async () => {},
    async emit(batch) {
      await ctx.onEmit(batch);
      ctx.emitted.push(batch);
    },
    abort: () => ac.abort(),
    cleanup: () => {
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return ctx;
}

/** Reads a counter's value for a component from the registry (0 when absent). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const v of data.values) {
    if (Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)) sum += v.value;
  }
  return sum;
}

export type { ComponentContext };
