import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collect, openStore, tempDir } from './testdata/helpers.js';

test('kill -9 mid-ingest loses no acknowledged entry and duplicates none', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const script = fileURLToPath(new URL('./testdata/ingest-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Set<number>();
  let buf = '';
  let maxSegments = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code} ${sig}`))));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (m) for (let i = 0; i < Number(m[2]); i++) acked.add(Number(m[1]) + i);
        if (m) maxSegments = Math.max(maxSegments, Number(m[3]));
      }
      // enough appends that chunks were cut and WAL segments checkpointed mid-run
      if (acked.size >= 30_000 && !child.killed) child.kill('SIGKILL');
    });
  });
  assert.ok(acked.size >= 30_000);
  // 30k entries of ~90 bytes make ~11 segments of 256 KiB: checkpointing must have deleted some
  assert.ok(maxSegments > 1 && maxSegments < 8, `WAL segments alive at once: ${maxSegments}`);
  const store = await openStore(dir);
  t.after(() => store.stop());
  assert.ok(store.stats().chunks > 0, 'chunks were written before the kill');
  const seen = new Map<number, number>();
  for (const b of await collect(store, { matchers: [{ name: 'service', op: '=', value: 'dur' }], order: 'stream' })) {
    for (const l of b.lines) {
      const n = Number(/^entry (\d+) /.exec(l)?.[1]);
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
  }
  const missing = [...acked].filter((n) => !seen.has(n));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged entries lost`);
  const dup = [...seen].filter(([, c]) => c > 1);
  assert.deepEqual(dup.slice(0, 10), [], 'no entry stored twice');
});
