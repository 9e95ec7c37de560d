import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readdirSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { STALE_NAN, isStaleNaN } from '../../src/query/promql/storage.js';
import { MetricsStore } from '../../src/store/metrics/index.js';
import { readMetricsDir } from './vigil-metrics-dir.js';

const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A stopped store with two series of `n` samples each (jittered timestamps, a stale marker). */
async function storeWith(n: number): Promise<{ dir: string; t: number[]; a: Float64Array; b: Float64Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-mdir-'));
  dirs.push(dir);
  const store = await MetricsStore.open({ dir, config: { chunk_max_samples: 120 }, logger: pino({ level: 'silent' }), now: () => (T0 + 86_400_000) * 1000 });
  const t = Array.from({ length: n }, (_, i) => T0 + i * 1000 + (i % 3));
  const a = Float64Array.from(t, (_, i) => i * 0.01);
  const b = Float64Array.from(t, () => 42);
  b[n - 1] = STALE_NAN;
  const r = await store.append('t1', [
    { labels: { __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle', job: 'node' }, t, v: a },
    { labels: { __name__: 'node_memory_MemTotal_bytes', job: 'node' }, t, v: b },
  ]);
  assert.equal(r.accepted, 2 * n);
  await store.stop();
  return { dir, t, a, b };
}

describe('readMetricsDir', () => {
  it('reads back every sample of a stopped store, bit-exact, with its chunks and file sizes', async () => {
    const { dir, t, a, b } = await storeWith(300);
    const c = readMetricsDir(dir);
    assert.equal(c.badChunks, 0);
    assert.equal(c.series.length, 2);
    const cpu = c.series.find((s) => s.labels.__name__ === 'node_cpu_seconds_total');
    const mem = c.series.find((s) => s.labels.__name__ === 'node_memory_MemTotal_bytes');
    assert.ok(cpu && mem);
    assert.equal(cpu.tenant, 't1');
    assert.deepEqual(cpu.t, t);
    assert.deepEqual(Array.from(cpu.v), Array.from(a));
    assert.deepEqual(Array.from(mem.v.subarray(0, 299)), Array.from(b.subarray(0, 299)));
    assert.ok(isStaleNaN(mem.v[299] as number), 'the staleness marker keeps its bit pattern');
    // 300 samples at chunk_max_samples 120: 120 + 120 + 60.
    assert.deepEqual(cpu.chunks.map((x) => x.count), [120, 120, 60]);
    assert.equal(cpu.chunks.reduce((s, x) => s + x.count, 0), 300);
    const chunkBytes = c.series.reduce((s, x) => s + x.chunks.reduce((u, y) => u + y.bytes, 0), 0);
    assert.equal(c.bytes.segments, chunkBytes, 'segment files hold exactly the chunks');
    assert.ok(c.bytes.catalog > 0);
    assert.equal(c.bytes.total, c.bytes.segments + c.bytes.catalog + c.bytes.wal + c.bytes.other);
    assert.ok((c.catalogByObject.chunks ?? 0) > 0 && (c.catalogByObject.series ?? 0) > 0, JSON.stringify(c.catalogByObject));
    assert.equal(c.segmentFiles, 1);
  });

  it('counts a chunk whose bytes fail the checksum and keeps the rest', async () => {
    const { dir } = await storeWith(130);
    const segDir = join(dir, 'chunks');
    const seg = readdirSync(segDir).find((f) => f.endsWith('.seg'));
    assert.ok(seg);
    const fd = openSync(join(segDir, seg), 'r+');
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, 20);
    one[0] = (one[0] as number) ^ 0xff;
    writeSync(fd, one, 0, 1, 20);
    closeSync(fd);
    const c = readMetricsDir(dir);
    assert.equal(c.badChunks, 1);
    const total = c.series.reduce((s, x) => s + x.t.length, 0);
    assert.ok(total > 0 && total < 260, `${total} samples left`);
  });

  it('throws when there is no catalog', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-mdir-'));
    dirs.push(dir);
    assert.throws(() => readMetricsDir(dir));
  });
});
