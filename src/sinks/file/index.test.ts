import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import def from './index.js';

conformance(def, import.meta.url, { config: (dir) => ({ path: join(dir, 'out.ndjson') }) });

const T = 1704164645678901; // 2024-01-02T03:04:05.678901Z

function batch(prefix: string, n: number): LogBatch {
  const lines = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  return { streams: [{ labels: { app: 'a' }, ts: lines.map((_, i) => T + i), lines }] };
}

describe('file sink', () => {
  it('appends NDJSON after existing content and counts', async () => {
    const ctx = makeTestContext('sink', 'file');
    const path = join(ctx.dataDir, 'sub', 'out.ndjson');
    mkdirSync(join(ctx.dataDir, 'sub'));
    writeFileSync(path, '{"old":true}\n');
    const sink = def.build({ path }, ctx);
    await sink.start();
    try {
      const b: LogBatch = { streams: [{ labels: { app: 'a' }, ts: [T], lines: ['hello "x"'], fields: [{ k: 'v' }] }] };
      assert.deepEqual(await sink.send(b), { status: 'delivered' });
      assert.deepEqual(await sink.send(batch('b', 2)), { status: 'delivered' });
      const rows = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
      assert.deepEqual(rows, [
        { old: true },
        { timestamp: '2024-01-02T03:04:05.678901Z', labels: { app: 'a' }, line: 'hello "x"', fields: { k: 'v' } },
        { timestamp: '2024-01-02T03:04:05.678901Z', labels: { app: 'a' }, line: 'b-0', fields: {} },
        { timestamp: '2024-01-02T03:04:05.678902Z', labels: { app: 'a' }, line: 'b-1', fields: {} },
      ]);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 3);
    } finally {
      await sink.stop();
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('text format writes the raw lines; the data is on disk when send resolves (read through a fresh fd)', async () => {
    const ctx = makeTestContext('sink', 'file');
    const path = join(ctx.dataDir, 'raw.log');
    const sink = def.build({ path, format: 'text' }, ctx);
    await sink.start();
    try {
      await sink.send(batch('x', 3));
      // No stop/close before reading: delivered means written and fsynced, not buffered in the process.
      assert.equal(readFileSync(path, 'utf8'), 'x-0\nx-1\nx-2\n');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('rotates by size keeping max_files, never splitting a batch, concurrent sends never interleave', async () => {
    const ctx = makeTestContext('sink', 'file');
    const path = join(ctx.dataDir, 'r.log');
    const sink = def.build({ path, format: 'text', max_size: 100, max_files: 2 }, ctx);
    await sink.start();
    try {
      // each batch: 4 lines "bNN-i\n" = 24 bytes → 4 batches per file
      const sends = [];
      for (let b = 0; b < 18; b++) sends.push(sink.send(batch(`b${String(b).padStart(2, '0')}`, 4)));
      for (const r of await Promise.all(sends)) assert.equal(r.status, 'delivered');
      assert.deepEqual(readdirSync(ctx.dataDir).sort(), ['r.log', 'r.log.1', 'r.log.2']);
      const current = readFileSync(path, 'utf8');
      const r1 = readFileSync(`${path}.1`, 'utf8');
      const r2 = readFileSync(`${path}.2`, 'utf8');
      for (const f of [current, r1, r2]) assert.ok(Buffer.byteLength(f) <= 100);
      // r.log.2 has batches 8-11, r.log.1 12-15, r.log 16-17 (0-7 rotated out and deleted)
      const all = (r2 + r1 + current).trimEnd().split('\n');
      assert.equal(all.length, 10 * 4);
      assert.equal(all[0], 'b08-0');
      assert.equal(all.at(-1), 'b17-3');
      for (let i = 1; i < all.length; i++) assert.ok((all[i - 1] as string) < (all[i] as string), 'in order, not interleaved');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('max_files 0 truncates instead of keeping old files; a batch larger than max_size is still written whole', async () => {
    const ctx = makeTestContext('sink', 'file');
    const path = join(ctx.dataDir, 'z.log');
    const sink = def.build({ path, format: 'text', max_size: '10', max_files: 0 }, ctx);
    await sink.start();
    try {
      await sink.send(batch('first', 3));
      await sink.send(batch('second', 3));
      assert.deepEqual(readdirSync(ctx.dataDir), ['z.log']);
      assert.equal(readFileSync(path, 'utf8'), 'second-0\nsecond-1\nsecond-2\n');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });

  it('an unwritable path answers errored (retried) and recovers once writable', async () => {
    const ctx = makeTestContext('sink', 'file');
    // A directory where the file should be fails even for root (permission bits would not).
    const path = join(ctx.dataDir, 'out.log');
    mkdirSync(path);
    const sink = def.build({ path, format: 'text' }, ctx);
    await sink.start();
    try {
      const r = await sink.send(batch('y', 1));
      assert.equal(r.status, 'errored');
      assert.match((r as { error: string }).error, /out\.log: .*EISDIR/);
      assert.equal(await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'sending' }), 1);
      rmSync(path, { recursive: true });
      assert.deepEqual(await sink.send(batch('y', 1)), { status: 'delivered' });
      assert.equal(readFileSync(path, 'utf8'), 'y-0\n');
    } finally {
      await sink.stop();
      ctx.cleanup();
    }
  });
});
