// Review: `start_at` (default 'end') is documented as applying to "files found at the first start
// without a checkpoint"; files that appear later are read from the beginning. A file created while
// the source was not running (log rotation during a restart, or in the gap of a SIGHUP reload,
// which stops the old topology and starts a new one) is not a first-start file: its lines were
// written after collection began and must be read.
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanup, sleep, startSource, tempDir, testConfig, waitFor } from '../../src/sources/file/test-helpers.js';

const dirs: string[] = [];
after(() => cleanup(...dirs));

describe('review: file source across a restart or reload', () => {
  it('with start_at: end, a file rotated in while stopped is read from its beginning after restart', async () => {
    const d = tempDir();
    const data = tempDir();
    dirs.push(d, data);
    const p = join(d, 'app.log');
    writeFileSync(p, 'history before vigil, skipped by start_at: end\n');
    const config = testConfig(d, { start_at: 'end' });

    const first = await startSource(d, config, data);
    await sleep(150);
    appendFileSync(p, 'line 1\n');
    await waitFor(() => first.lines().includes('line 1'), 'line 1');
    await first.stop();

    // Rotation while Vigil restarts (or reloads): the new app.log gets lines before we follow it.
    renameSync(p, join(d, 'app.log.1'));
    writeFileSync(p, 'line 2, first line of the rotated-in file\nline 3\n');

    const second = await startSource(d, config, data);
    try {
      await sleep(150);
      appendFileSync(p, 'line 4\n');
      await waitFor(() => second.lines().includes('line 4'), 'line 4');
      await sleep(100);
      assert.deepEqual(second.lines(), ['line 2, first line of the rotated-in file', 'line 3', 'line 4']);
    } finally {
      await second.stop();
    }
  });
});
