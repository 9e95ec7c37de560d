/**
 * Helpers for the syslog source tests: a started source on a free loopback port with a capturing
 * context, and waiting for what it emitted.
 */
import type { Static } from '@sinclair/typebox';
import { validateAgainst } from '../../config/validate.js';
import { batchToRecords, type LogRecord } from '../../core/events.js';
import { makeTestContext, type TestContext } from '../../components/testing.js';
import def from './index.js';
import type { SyslogSource } from './syslog-source.js';

export type SyslogConfig = Static<typeof def.schema>;

export interface Running {
  ctx: TestContext;
  source: SyslogSource;
  port: number;
  records(): LogRecord[];
  /** Resolves once `n` records were emitted; rejects after `ms` naming what arrived. */
  waitFor(n: number, ms?: number): Promise<LogRecord[]>;
  close(): Promise<void>;
}

export async function startSyslog(config: Partial<SyslogConfig>): Promise<Running> {
  const full = { address: '127.0.0.1:0', ...config };
  const issues = validateAgainst(def.schema, full);
  if (issues.length) throw new Error(JSON.stringify(issues));
  const ctx = makeTestContext('source', 'syslog');
  const source = def.build(full, ctx) as SyslogSource;
  await source.start();
  const port = source.address()?.port as number;
  const records = () => ctx.emitted.flatMap((b) => batchToRecords(b));
  return {
    ctx,
    source,
    port,
    records,
    async waitFor(n, ms = 5000) {
      const until = Date.now() + ms;
      while (records().length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} records, got ${records().length}: ${JSON.stringify(records().map((r) => r.line))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return records();
    },
    async close() {
      await source.stop();
      ctx.abort();
      ctx.cleanup();
    },
  };
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
