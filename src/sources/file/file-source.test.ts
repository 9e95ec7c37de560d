import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, copyFileSync, mkdirSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { counterValue } from '../../components/testing.js';
import { cleanup, sleep, startSource, tempDir, testConfig, waitFor } from './test-helpers.js';

const dirs: string[] = [];
after(() => cleanup(...dirs));
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
const numbered = (prefix: string, from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix} ${i}\n`;
  return s;
};

describe('file source: rotation and truncation', () => {
  it('rotation by rename: reads what is written to the old file after the rename, then the new file from 0', async () => {
    const d = dir();
    const p = join(d, 'app.log');
    writeFileSync(p, 'before 1\n');
    const h = await startSource(d, testConfig(d));
    try {
      await waitFor(() => h.lines().length === 1, 'first line');
      renameSync(p, join(d, 'app.log.1')); // not matched by *.log: only the open handle reaches it
      appendFileSync(join(d, 'app.log.1'), 'after rename 2\n');
      writeFileSync(p, 'new file 1\n');
      await waitFor(() => h.lines().length === 3, 'old tail and new file');
      assert.deepEqual(h.lines().sort(), ['after rename 2', 'before 1', 'new file 1']);
      const names = new Set(h.records().map((r) => r.labels['filename']));
      assert.deepEqual([...names], [p], 'the rotated file keeps the filename it was found at');
      // After rotate_wait the old file is released.
      await waitFor(() => h.ctx.registry.getSingleMetric('vigil_source_file_watched_files') !== undefined, 'gauge');
      await sleep(500);
      const g = await h.ctx.registry.getSingleMetric('vigil_source_file_watched_files')?.get();
      assert.equal(g?.values[0]?.value, 1);
    } finally {
      await h.stop();
    }
  });

  it('copytruncate: the file shrinks below the offset, is read again from 0, counted', async () => {
    const d = dir();
    const p = join(d, 'ct.log');
    writeFileSync(p, numbered('first', 0, 50));
    const h = await startSource(d, testConfig(d));
    try {
      await waitFor(() => h.lines().length === 50, 'first part');
      copyFileSync(p, join(d, 'ct.log.1'));
      truncateSync(p, 0);
      await sleep(100);
      appendFileSync(p, 'second 0\nsecond 1\n');
      await waitFor(() => h.lines().length === 52, 'after truncation');
      assert.deepEqual(h.lines().slice(50), ['second 0', 'second 1']);
      assert.equal(await counterValue(h.ctx.registry, 'vigil_source_file_truncations_total'), 1);
    } finally {
      await h.stop();
    }
  });

  it('truncation to a smaller non-zero size restarts from 0', async () => {
    const d = dir();
    const p = join(d, 't.log');
    writeFileSync(p, numbered('x', 0, 100));
    const h = await startSource(d, testConfig(d));
    try {
      await waitFor(() => h.lines().length === 100, 'first');
      writeFileSync(p, 'short 1\nshort 2\n'); // O_TRUNC then write
      await waitFor(() => h.lines().length === 102, 'rewritten');
      assert.deepEqual(h.lines().slice(100), ['short 1', 'short 2']);
    } finally {
      await h.stop();
    }
  });

  it('a deleted file is read to its end and released; a new file at the same path is read from 0', async () => {
    const d = dir();
    const p = join(d, 'd.log');
    writeFileSync(p, 'one\ntwo\n');
    const h = await startSource(d, testConfig(d));
    try {
      await waitFor(() => h.lines().length === 2, 'first file');
      unlinkSync(p);
      writeFileSync(p, 'three\n'); // may reuse the inode: identity includes the fingerprint
      await waitFor(() => h.lines().length === 3, 'recreated file');
      assert.deepEqual(h.lines(), ['one', 'two', 'three']);
    } finally {
      await h.stop();
    }
  });

  it('a closed (evicted) file rewritten with other content is read again from 0', async () => {
    const d = dir();
    const a = join(d, 'a.log');
    const b = join(d, 'b.log');
    writeFileSync(a, 'a old content 1\na old content 2\n');
    writeFileSync(b, 'b1\n');
    const h = await startSource(d, testConfig(d, { max_open_files: 1 }));
    try {
      await waitFor(() => h.lines().length === 3, 'both files');
      appendFileSync(b, 'b2\n'); // b takes the only handle: a is closed
      await waitFor(() => h.lines().length === 4, 'b2');
      writeFileSync(a, 'a new\n');
      await waitFor(() => h.lines().length === 5, 'a rewritten');
      assert.equal(h.lines()[4], 'a new');
      const open = (await h.ctx.registry.getSingleMetric('vigil_source_file_open_files')?.get())?.values[0]?.value;
      assert.ok((open ?? 0) <= 1);
    } finally {
      await h.stop();
    }
  });

  it('delete + recreate while stopped: a reused inode with another fingerprint is a new file', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'r.log');
    writeFileSync(p, 'alpha 1\nalpha 2\n');
    const h = await startSource(d, testConfig(d), data);
    await waitFor(() => h.lines().length === 2, 'alpha');
    await h.stop();
    unlinkSync(p);
    writeFileSync(p, 'beta 1\n'); // shorter than the saved offset and different content
    const h2 = await startSource(d, testConfig(d), data);
    try {
      await waitFor(() => h2.lines().length === 1, 'beta');
      assert.deepEqual(h2.lines(), ['beta 1']);
    } finally {
      await h2.stop();
    }
  });
});

describe('file source: checkpoints and delivery', () => {
  it('resumes from the checkpoint after a restart: nothing lost, nothing duplicated', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'app.log');
    writeFileSync(p, numbered('a', 0, 1000));
    const h = await startSource(d, testConfig(d), data);
    await waitFor(() => h.lines().length === 1000, 'first run');
    await h.stop();
    appendFileSync(p, numbered('a', 1000, 1500)); // written while stopped
    const h2 = await startSource(d, testConfig(d, { start_at: 'end' }), data);
    try {
      appendFileSync(p, numbered('a', 1500, 1600));
      await waitFor(() => h2.lines().length === 600, 'second run');
      assert.deepEqual(h2.lines(), numbered('a', 1000, 1600).trimEnd().split('\n'));
      const saved = JSON.parse(readFileSync(join(data, 'checkpoints.json'), 'utf8')) as { checkpoints: Array<{ path: string }> };
      assert.equal(saved.checkpoints[0]?.path, p);
    } finally {
      await h2.stop();
    }
  });

  it('a file shorter than fingerprint_bytes keeps its identity as it grows across restarts', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'small.log');
    writeFileSync(p, 'a\n');
    const h = await startSource(d, testConfig(d), data);
    await waitFor(() => h.lines().length === 1, 'a');
    appendFileSync(p, 'b\n');
    await waitFor(() => h.lines().length === 2, 'b');
    await h.stop();
    appendFileSync(p, 'c\n');
    const h2 = await startSource(d, testConfig(d), data);
    try {
      await waitFor(() => h2.lines().length >= 1, 'c');
      await sleep(100);
      assert.deepEqual(h2.lines(), ['c']);
    } finally {
      await h2.stop();
    }
  });

  it('multiline: the checkpoint stops at the last emitted record, so a held record is completed after a restart', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'ml.log');
    const cfg = testConfig(d, { multiline: { mode: 'start', pattern: '^\\[', timeout: '10s' } });
    writeFileSync(p, '[1] first\n  more\n[2] second\n');
    const h = await startSource(d, cfg, data);
    await waitFor(() => h.lines().length === 1, 'record 1');
    await h.stop();
    const saved = JSON.parse(readFileSync(join(data, 'checkpoints.json'), 'utf8')) as { checkpoints: Array<{ offset: number }> };
    assert.equal(saved.checkpoints[0]?.offset, '[1] first\n  more\n'.length);
    appendFileSync(p, '  tail of 2\n[3] third\n');
    const h2 = await startSource(d, cfg, data);
    try {
      await waitFor(() => h2.lines().length === 1, 'record 2');
      assert.deepEqual(h2.lines(), ['[2] second\n  tail of 2']);
    } finally {
      await h2.stop();
    }
  });

  it('after a crash (no stop), re-reads at most the batches in flight', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'app.log');
    writeFileSync(p, numbered('c', 0, 300));
    let gate: (() => void) | undefined;
    let emits = 0;
    const h = await startSource(d, testConfig(d, { batch_max_lines: 100, checkpoint_interval: '0s' }), data, (ctx) => {
      ctx.onEmit = async () => {
        emits++;
        if (emits === 3) await new Promise<void>((r) => (gate = r)); // the 3rd batch is in flight at the "crash"
      };
    });
    await waitFor(() => gate !== undefined, 'third batch in flight');
    // The checkpoint of the acknowledged batches is written asynchronously; a crash may come before or after it.
    await waitFor(() => existsSync(join(data, 'checkpoints.json')), 'first checkpoint written');
    // Simulate kill -9: copy the durable state now, as a crashed process would leave it.
    const crashed = dir();
    mkdirSync(crashed, { recursive: true });
    copyFileSync(join(data, 'checkpoints.json'), join(crashed, 'checkpoints.json'));
    gate?.();
    await h.stop();
    const h2 = await startSource(d, testConfig(d, { batch_max_lines: 100 }), crashed);
    try {
      await waitFor(() => h2.lines().length >= 100, 'resumed');
      await sleep(150);
      const firstRun = h.lines();
      const secondRun = h2.lines();
      const all = new Set([...firstRun, ...secondRun]);
      assert.equal(all.size, 300, 'nothing lost');
      // Up to two batches are in flight (reading overlaps delivery), so at most two are read again.
      assert.ok(secondRun.length <= 200, `re-read ${secondRun.length} lines, at most two batches`);
    } finally {
      await h2.stop();
    }
  });

  it('two batches in flight: checkpoints advance in batch order; a failed first batch rewinds past a delivered second', async () => {
    const d = dir();
    const p = join(d, 'pipe.log');
    const text = numbered('p', 0, 300);
    writeFileSync(p, text);
    let emits = 0;
    let release: ((ok: boolean) => void) | undefined;
    const h = await startSource(d, testConfig(d, { batch_max_lines: 100, checkpoint_interval: '0s' }), undefined, (ctx) => {
      ctx.onEmit = async () => {
        emits++;
        if (emits === 1) {
          const ok = await new Promise<boolean>((r) => (release = r));
          if (!ok) throw new Error('sink down');
        }
      };
    });
    const offset = (): number | undefined => {
      try {
        return (JSON.parse(readFileSync(join(h.ctx.dataDir, 'checkpoints.json'), 'utf8')) as { checkpoints: Array<{ offset: number }> }).checkpoints[0]?.offset;
      } catch {
        return undefined;
      }
    };
    try {
      await waitFor(() => emits === 2 && h.ctx.emitted.length === 1, 'second batch delivered while the first is in flight');
      await sleep(100);
      assert.equal(emits, 2, 'never more than two batches in flight');
      assert.ok((offset() ?? 0) === 0, 'the delivered second batch is not acknowledged before the first');
      release?.(false);
      await waitFor(() => offset() === Buffer.byteLength(text), 'everything acknowledged after the rewind');
      const lines = h.lines();
      assert.equal(new Set(lines).size, 300, 'nothing lost');
      assert.ok(lines.length >= 300 + 100, 'the second batch was read again (at-least-once)');
    } finally {
      await h.stop();
    }
  });

  it('an emit failure keeps the checkpoint and the data is emitted again', async () => {
    const d = dir();
    const p = join(d, 'e.log');
    writeFileSync(p, 'l1\nl2\n');
    let fail = true;
    const h = await startSource(d, { ...testConfig(d), checkpoint_interval: '50ms' }, undefined, (ctx) => {
      ctx.onEmit = async () => {
        if (fail) throw new Error('sink down');
      };
    });
    try {
      await sleep(300);
      assert.deepEqual(h.lines(), []);
      const cp = JSON.parse(readFileSync(join(h.ctx.dataDir, 'checkpoints.json'), 'utf8')) as { checkpoints: Array<{ offset: number }> };
      assert.equal(cp.checkpoints[0]?.offset, 0, 'checkpoint not advanced');
      const lag = (await h.ctx.registry.getSingleMetric('vigil_source_file_lag_bytes')?.get())?.values[0]?.value;
      assert.equal(lag, 6, 'unacknowledged bytes');
      assert.ok((await counterValue(h.ctx.registry, 'vigil_component_errors_total', { stage: 'sending' })) >= 2);
      fail = false;
      await waitFor(() => h.lines().length === 2, 're-emitted');
      assert.deepEqual(h.lines(), ['l1', 'l2']);
      await waitFor(() => {
        const c = JSON.parse(readFileSync(join(h.ctx.dataDir, 'checkpoints.json'), 'utf8')) as { checkpoints: Array<{ offset: number }> };
        return c.checkpoints[0]?.offset === 6;
      }, 'checkpoint advanced');
    } finally {
      await h.stop();
    }
  });

  it('2,000 files with max_open_files 64: all read, never more than 64 open', async () => {
    const d = dir();
    const n = 2000;
    for (let i = 0; i < n; i++) writeFileSync(join(d, `f${i}.log`), `file ${i} line 1\n`);
    const h = await startSource(d, testConfig(d, { max_open_files: 64, glob_interval: '1s' }));
    let maxOpen = 0;
    const gauge = async () => {
      const v = (await h.ctx.registry.getSingleMetric('vigil_source_file_open_files')?.get())?.values[0]?.value ?? 0;
      maxOpen = Math.max(maxOpen, v);
    };
    try {
      await waitFor(() => h.lines().length === n, 'first lines', 60_000).catch((e) => { throw new Error(`${(e as Error).message}: ${h.lines().length} of ${n}`); });
      await gauge();
      for (let i = 0; i < n; i += 7) appendFileSync(join(d, `f${i}.log`), `file ${i} line 2\n`);
      const expected = n + Math.ceil(n / 7);
      const deadline = Date.now() + 60_000;
      while (h.lines().length < expected && Date.now() < deadline) {
        await gauge();
        await sleep(20);
      }
      assert.equal(new Set(h.lines()).size, expected);
      assert.ok(maxOpen <= 64, `open files ${maxOpen}`);
    } finally {
      await h.stop();
    }
  });
});
