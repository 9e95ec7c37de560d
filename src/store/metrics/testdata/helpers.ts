import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import type { MetricsStoreConfig } from '../config.js';
import { MetricsStore } from '../metrics-store.js';

/** A temp dir removed at process exit (after every store's stop hook has run). */
export function tempDir(_t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-metrics-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const T0 = Date.UTC(2026, 0, 1);

/** Tests are written around 120-sample chunks (Prometheus's size); they pin it rather than follow the default. */
export async function openStore(dir: string, config: Partial<MetricsStoreConfig> = {}, nowMs: () => number = () => T0 + 86_400_000): Promise<MetricsStore> {
  return MetricsStore.open({ dir, config: { chunk_max_samples: 120, ...config }, logger: pino({ level: 'silent' }), now: () => nowMs() * 1000, walSegmentBytes: 64 * 1024 });
}

/** Bit patterns of values, so StaleNaN and -0 compare exactly. */
export function bits(v: ArrayLike<number>): string[] {
  const f = v instanceof Float64Array ? v : Float64Array.from(v);
  const dv = new DataView(f.buffer);
  return Array.from({ length: f.length }, (_, i) => dv.getBigUint64(i * 8, true).toString(16));
}
