/**
 * Shared helpers of the `file` source tests: a temp dir, a source built through its definition
 * (schema defaults applied as in production), and polling waits on real timers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Source } from '../../components/contract.js';
import { makeTestContext, type TestContext } from '../../components/testing.js';
import { validateAgainst } from '../../config/validate.js';
import { batchToRecords, type LogRecord } from '../../core/events.js';
import def from './index.js';

export interface Harness {
  dir: string;
  ctx: TestContext;
  source: Source;
  records(): LogRecord[];
  lines(): string[];
  stop(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-file-test-'));
}

/** Fast timers for tests; `over` replaces any of them. */
export function testConfig(dir: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    include: [join(dir, '*.log')],
    start_at: 'beginning',
    poll_interval: '20ms',
    glob_interval: '100ms',
    batch_timeout: '10ms',
    rotate_wait: '300ms',
    checkpoint_interval: '50ms',
    ...over,
  };
}

/** Builds and starts a source on `config`; `dataDir` reuses a previous run's checkpoints; `setup` runs before start. */
export async function startSource(
  dir: string,
  config: Record<string, unknown>,
  dataDir?: string,
  setup?: (ctx: TestContext) => void,
): Promise<Harness> {
  const issues = validateAgainst(def.schema, config);
  if (issues.length > 0) throw new Error(JSON.stringify(issues));
  const ctx = makeTestContext('source', 'file', 'test_file', dataDir);
  setup?.(ctx);
  const source = def.build(config as never, ctx);
  await source.start();
  return {
    dir,
    ctx,
    source,
    records: () => ctx.emitted.flatMap((b) => batchToRecords(b)),
    lines: () => ctx.emitted.flatMap((b) => batchToRecords(b)).map((r) => r.line),
    stop: async () => {
      await source.stop();
      ctx.abort();
    },
  };
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
