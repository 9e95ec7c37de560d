import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CursorFile } from './cursor-file.js';

describe('journald cursor file', () => {
  it('round-trips a position and starts empty without a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-jcur-'));
    try {
      const f = new CursorFile(dir);
      assert.deepEqual(f.load(), { position: {} });
      await f.save({ cursor: 's=abc;i=9' });
      assert.deepEqual(f.load(), { position: { cursor: 's=abc;i=9' } });
      await f.save({ sinceUs: 123 });
      assert.deepEqual(f.load(), { position: { sinceUs: 123 } });
      assert.ok(!existsSync(`${f.path}.tmp`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('moves a corrupt document aside and says where', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-jcur-'));
    try {
      const f = new CursorFile(dir);
      for (const bad of ['{"version":1,"cursor":', '{"version":2}', '{"version":1,"cursor":""}', '{"version":1,"since_us":-1}', 'null']) {
        writeFileSync(f.path, bad);
        const { position, problem } = f.load();
        assert.deepEqual(position, {});
        assert.match(problem ?? '', /journald-cursor\.json: .*moved aside/);
        assert.equal(readFileSync(`${f.path}.corrupt`, 'utf8'), bad);
        assert.ok(!existsSync(f.path));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
