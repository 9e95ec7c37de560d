/** Shared helpers for the log store tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { LabelMatcher } from '../../../core/labels.js';
import type { Micros } from '../../../core/time.js';
import type { LineFilter, SelectedEntries } from '../../interfaces.js';
import { defaultLogStoreConfig, type LogStoreConfig } from '../config.js';
import { LogStore } from '../log-store.js';

export const T0: Micros = Date.UTC(2026, 0, 1) * 1000;
export const SEC = 1_000_000;

export function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-logs-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface LogLine {
  level: string;
  msg: string;
}

/** A logger that keeps records in memory (to assert what the store reported). */
export function memoryLogger(): { logger: pino.Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, records };
}

export async function openStore(
  dir: string,
  opts: { config?: Partial<LogStoreConfig>; now?: () => Micros; registry?: Registry; logger?: pino.Logger; scanWorkers?: number; scanWorkerIdleMs?: number; fileDeleteGraceMs?: number } = {},
): Promise<LogStore> {
  return LogStore.open({
    dir,
    config: defaultLogStoreConfig({ reject_old_samples_max_age: '0s', creation_grace_period: '1000w', ...opts.config }),
    logger: opts.logger ?? pino({ level: 'silent' }),
    registry: opts.registry ?? new Registry(),
    now: opts.now ?? (() => T0 + 3600 * SEC),
    scanWorkers: opts.scanWorkers ?? 0,
    ...(opts.scanWorkerIdleMs !== undefined ? { scanWorkerIdleMs: opts.scanWorkerIdleMs } : {}),
    fileDeleteGraceMs: opts.fileDeleteGraceMs ?? 0,
  });
}

export async function collect(
  store: LogStore,
  q: { tenant?: string; matchers: LabelMatcher[]; start?: Micros; end?: Micros; direction?: 'forward' | 'backward'; order?: 'time' | 'stream'; lineFilters?: LineFilter[]; skipLines?: boolean },
): Promise<SelectedEntries[]> {
  const out: SelectedEntries[] = [];
  for await (const b of store.select({
    tenant: q.tenant ?? 'fake',
    matchers: q.matchers,
    start: q.start ?? 0,
    end: q.end ?? Number.MAX_SAFE_INTEGER,
    direction: q.direction ?? 'forward',
    order: q.order ?? 'time',
    ...(q.lineFilters ? { lineFilters: q.lineFilters } : {}),
    ...(q.skipLines ? { skipLines: true } : {}),
  }))
    out.push(b);
  return out;
}

/** Flattens selected batches to `key ts line` rows, in yield order. */
export function rows(batches: SelectedEntries[]): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const b of batches) for (let i = 0; i < b.ts.length; i++) out.push([b.key, b.ts[i] as number, b.lines[i] as string]);
  return out;
}
