import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, tempDir } from './testdata/helpers.js';

test('kill -9 mid-ingest loses no acknowledged sample and duplicates none', { timeout: 90_000 }, async (t) => {
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
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!m) continue;
        for (let i = 0; i < Number(m[2]); i++) acked.add(Number(m[1]) + i);
        maxSegments = Math.max(maxSegments, Number(m[3]));
      }
      if (acked.size >= 40_000 && !child.killed) child.kill('SIGKILL');
    });
  });
  const store = await openStore(dir);
  t.after(() => store.stop());
  const st = store.stats();
  assert.ok(st.chunks > 0, 'chunks were flushed before the kill');
  // 40k samples make ~1 MB of WAL in 64 KiB segments: truncation must have deleted most of them
  assert.ok(maxSegments < 12, `WAL segments alive at once: ${maxSegments}`);
  const seen = new Map<number, number>();
  for (const s of await store.querier('fake').select([{ name: '__name__', op: '=', value: 'dur_total' }], 0, Infinity)) {
    for (let i = 0; i < s.v.length; i++) {
      const n = s.v[i] as number;
      assert.equal(s.t[i], Date.UTC(2026, 0, 1) + n * 10, 'timestamp matches value');
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
  }
  const missing = [...acked].filter((n) => !seen.has(n));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.size} acknowledged samples lost`);
  assert.deepEqual([...seen].filter(([, c]) => c > 1).slice(0, 10), [], 'no sample stored twice');
});
