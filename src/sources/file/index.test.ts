import assert from 'node:assert/strict';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { conformance } from '../../components/conformance.js';
import { counterValue } from '../../components/testing.js';
import def from './index.js';
import { cleanup, sleep, startSource, tempDir, testConfig, waitFor } from './test-helpers.js';

const dirs: string[] = [];
after(() => cleanup(...dirs));
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

conformance(def, import.meta.url, { config: (dataDir) => testConfig(dataDir, { include: [join(dataDir, 'none', '*.log')] }) as never });

describe('file source: reading', () => {
  it('start_at end skips existing lines, then reads appends with filename and host labels', async () => {
    const d = dir();
    const p = join(d, 'app.log');
    writeFileSync(p, 'old 1\nold 2\n');
    const h = await startSource(d, testConfig(d, { start_at: 'end', labels: { service: 'api' } }));
    try {
      await sleep(100);
      assert.deepEqual(h.lines(), []);
      appendFileSync(p, 'new 1\nnew 2\r\n');
      await waitFor(() => h.lines().length === 2, 'appended lines');
      assert.deepEqual(h.lines(), ['new 1', 'new 2']);
      const r = h.records()[0];
      assert.deepEqual(r?.labels, { service: 'api', filename: p, host: 'testhost' });
      assert.ok(Math.abs((r?.ts ?? 0) - Date.now() * 1000) < 10_000_000, 'timestamp is the read time');
      assert.equal(await counterValue(h.ctx.registry, 'vigil_component_received_events_total'), 2);
      await waitFor(() => h.ctx.emitted.length > 0, 'sent');
      assert.equal(await counterValue(h.ctx.registry, 'vigil_component_sent_events_total'), 2);
    } finally {
      await h.stop();
    }
  });

  it('start_at beginning reads existing lines; a file created later is read from its beginning', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.log'), 'a1\na2\n');
    const h = await startSource(d, testConfig(d, { start_at: 'beginning' }));
    try {
      await waitFor(() => h.lines().length === 2, 'existing lines');
      writeFileSync(join(d, 'b.log'), 'b1\nb2\n');
      await waitFor(() => h.lines().length === 4, 'new file');
      assert.deepEqual(h.lines().sort(), ['a1', 'a2', 'b1', 'b2']);
    } finally {
      await h.stop();
    }
    const d2 = dir();
    writeFileSync(join(d2, 'a.log'), 'old\n');
    const h2 = await startSource(d2, testConfig(d2, { start_at: 'end' }));
    try {
      writeFileSync(join(d2, 'late.log'), 'late 1\n');
      await waitFor(() => h2.lines().length === 1, 'late file from beginning');
      assert.deepEqual(h2.lines(), ['late 1']);
    } finally {
      await h2.stop();
    }
  });

  it('skips excluded files', async () => {
    const d = dir();
    writeFileSync(join(d, 'keep.log'), 'keep\n');
    writeFileSync(join(d, 'skip.log'), 'skip\n');
    const h = await startSource(d, testConfig(d, { exclude: [join(d, 'skip*')] }));
    try {
      await waitFor(() => h.lines().length === 1, 'kept file');
      await sleep(150);
      assert.deepEqual(h.lines(), ['keep']);
    } finally {
      await h.stop();
    }
  });

  it('a checkpoint write failure is logged and counted, and reading goes on', async () => {
    const d = dir();
    const data = dir();
    const p = join(d, 'x.log');
    writeFileSync(p, 'one\n');
    const h = await startSource(d, testConfig(d, { checkpoint_interval: '0s' }), data);
    try {
      await waitFor(() => h.lines().length === 1, 'first');
      rmSync(data, { recursive: true, force: true });
      appendFileSync(p, 'two\n');
      await waitFor(() => h.lines().length === 2, 'second');
      await waitFor(() => h.ctx.emitted.length >= 2, 'emitted');
      await sleep(50);
      assert.ok((await counterValue(h.ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' })) >= 1);
      appendFileSync(p, 'three\n');
      await waitFor(() => h.lines().length === 3, 'third');
    } finally {
      await h.stop();
    }
  });

  it('waits for an incomplete line to be completed, and flushes it after partial_line_timeout', async () => {
    const d = dir();
    const p = join(d, 'p.log');
    writeFileSync(p, '');
    const h = await startSource(d, testConfig(d, { partial_line_timeout: '400ms' }));
    try {
      appendFileSync(p, 'hel');
      await sleep(150);
      assert.deepEqual(h.lines(), []);
      appendFileSync(p, 'lo\nwor');
      await waitFor(() => h.lines().length === 1, 'completed line');
      assert.deepEqual(h.lines(), ['hello']);
      await waitFor(() => h.lines().length === 2, 'partial flushed after timeout', 3000);
      assert.deepEqual(h.lines(), ['hello', 'wor']);
    } finally {
      await h.stop();
    }
  });

  it('joins multiline records in start mode, flushing the last one after the timeout', async () => {
    const d = dir();
    const p = join(d, 'm.log');
    writeFileSync(p, '');
    const h = await startSource(d, testConfig(d, { multiline: { mode: 'start', pattern: '^\\d{4}-\\d{2}-\\d{2}', timeout: '200ms' } }));
    try {
      appendFileSync(p, '2024-01-01 ERROR boom\njava.lang.RuntimeException: x\n\tat A.b(A.java:1)\n2024-01-01 INFO next\n');
      await waitFor(() => h.lines().length === 1, 'first record');
      assert.equal(h.lines()[0], '2024-01-01 ERROR boom\njava.lang.RuntimeException: x\n\tat A.b(A.java:1)');
      await waitFor(() => h.lines().length === 2, 'last record after timeout', 3000);
      assert.equal(h.lines()[1], '2024-01-01 INFO next');
    } finally {
      await h.stop();
    }
  });

  it('joins multiline records in continuation mode and cuts at max_lines', async () => {
    const d = dir();
    const p = join(d, 'c.log');
    writeFileSync(p, 'Exception in thread main\n\tat a\n\tat b\nnext line\n\tat c\n\tat d\n\tat e\n');
    const h = await startSource(d, testConfig(d, { multiline: { mode: 'continuation', pattern: '^\\s', timeout: '100ms', max_lines: 3 } }));
    try {
      await waitFor(() => h.lines().length === 3, 'records');
      assert.deepEqual(h.lines(), ['Exception in thread main\n\tat a\n\tat b', 'next line\n\tat c\n\tat d', '\tat e']);
    } finally {
      await h.stop();
    }
  });

  it('splits long lines into pieces, counted', async () => {
    const d = dir();
    const p = join(d, 'long.log');
    writeFileSync(p, `${'a'.repeat(250)}\nshort\n`);
    const h = await startSource(d, testConfig(d, { max_line_bytes: 100 }));
    try {
      await waitFor(() => h.lines().length === 4, 'pieces');
      assert.deepEqual(h.lines(), ['a'.repeat(100), 'a'.repeat(100), 'a'.repeat(50), 'short']);
      assert.equal(await counterValue(h.ctx.registry, 'vigil_source_file_long_lines_total'), 1);
    } finally {
      await h.stop();
    }
  });

  it('truncates long lines when on_long_line is truncate, counted as discarded', async () => {
    const d = dir();
    const p = join(d, 'long.log');
    writeFileSync(p, `${'b'.repeat(300_000)}\nafter\n`);
    const h = await startSource(d, testConfig(d, { max_line_bytes: '1KiB', on_long_line: 'truncate' }));
    try {
      await waitFor(() => h.lines().length === 2, 'truncated line');
      assert.deepEqual(h.lines(), ['b'.repeat(1024), 'after']);
      assert.equal(await counterValue(h.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'line_truncated' }), 1);
    } finally {
      await h.stop();
    }
  });

  it('replaces invalid UTF-8 with U+FFFD and keeps the line', async () => {
    const d = dir();
    const p = join(d, 'bad.log');
    writeFileSync(p, Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe]), Buffer.from(' end\nnext é\n')]));
    const h = await startSource(d, testConfig(d));
    try {
      await waitFor(() => h.lines().length === 2, 'lines');
      assert.deepEqual(h.lines(), ['ok \uFFFD\uFFFD end', 'next é']);
    } finally {
      await h.stop();
    }
  });

  it('survives a corrupt checkpoint file: counted, moved aside, reading starts', async () => {
    const d = dir();
    const data = dir();
    writeFileSync(join(data, 'checkpoints.json'), '{not json');
    writeFileSync(join(d, 'x.log'), 'x\n');
    const h = await startSource(d, testConfig(d), data);
    try {
      await waitFor(() => h.lines().length === 1, 'line');
      assert.equal(await counterValue(h.ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' }), 1);
    } finally {
      await h.stop();
    }
  });
});
