import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import { validateAgainst } from '../../config/validate.js';
import { batchToRecords, type LogRecord } from '../../core/events.js';
import def from './index.js';
import { until } from './test-helpers.js';

/** Replays recorded real journalctl output (testdata/recorded.jsonl) so these tests run anywhere. */
const FAKE = fileURLToPath(new URL('./testdata/fake-journalctl.sh', import.meta.url));
const RECORDED = fileURLToPath(new URL('./testdata/recorded.jsonl', import.meta.url));
const cursors = readFileSync(RECORDED, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { __CURSOR: string }).__CURSOR);

conformance(def, import.meta.url, {
  config: (dataDir) => {
    copyFileSync(RECORDED, `${dataDir}/entries.jsonl`);
    return { journalctl_path: FAKE, directory: dataDir, since: 'beginning', kill_grace: '1s' };
  },
});

function setup(config: Record<string, unknown> = {}, ctx?: TestContext): { ctx: TestContext; src: ReturnType<typeof def.build> } {
  const c = ctx ?? makeTestContext('source', 'journald');
  if (!ctx) copyFileSync(RECORDED, `${c.dataDir}/entries.jsonl`);
  const full = { journalctl_path: FAKE, directory: c.dataDir, since: 'beginning', batch_timeout: '10ms', restart_backoff: { min: '20ms', max: '100ms' }, ...config };
  assert.deepEqual(validateAgainst(def.schema, full), []);
  return { ctx: c, src: def.build(full as never, c) };
}

const records = (ctx: TestContext): LogRecord[] => ctx.emitted.flatMap((b) => batchToRecords(b)).sort((a, b) => a.ts - b.ts);
const savedCursor = (ctx: TestContext): string | undefined =>
  (JSON.parse(readFileSync(`${ctx.dataDir}/journald-cursor.json`, 'utf8')) as { cursor?: string }).cursor;

describe('journald source (recorded journalctl output)', () => {
  it('emits entries with journal time, labels, level, fields and decoded binary messages, then checkpoints the cursor', async () => {
    const { ctx, src } = setup({ labels: { job: 'j' } });
    await src.start();
    await until('6 entries', () => records(ctx).length === 6);
    await until('cursor saved', () => savedCursor(ctx) === cursors[5]);
    await src.stop();
    const recs = records(ctx);
    assert.equal(recs[0]?.ts, 1795000000000001);
    assert.deepEqual(recs[0]?.labels, { job: 'j', unit: 'nginx.service', host: 'web-1', syslog_identifier: 'nginx', level: 'info' });
    assert.equal(recs[2]?.line, 'binary \u0000\u0001 payload \uFFFD\uFFFD tail');
    assert.equal(recs[2]?.fields?.['CODE_FILE'], 'src/main.c');
    assert.equal(await counterValue(ctx.registry, 'vigil_component_received_events_total'), 6);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 6);
    const argv = readFileSync(`${ctx.dataDir}/argv.log`, 'utf8');
    assert.match(argv, /^--output=json --all --follow --no-pager --quiet --directory=\S+ --no-tail\n$/);
    ctx.cleanup();
  });

  it('resumes after the saved cursor on the next start: no loss, no duplicates', async () => {
    const { ctx, src } = setup({ batch_max_entries: 2 });
    // Acknowledge the first two batches only; the third is refused while stopping.
    let n = 0;
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => (release = r));
    ctx.onEmit = async () => {
      if (++n === 3) {
        await blocked;
        throw new Error('pipeline stopping');
      }
    };
    await src.start();
    await until('third emit', () => n === 3);
    const stopping = src.stop();
    release();
    await stopping;
    assert.equal(savedCursor(ctx), cursors[3]);
    assert.deepEqual(records(ctx).map((r) => r.ts % 100), [1, 2, 3, 4]);

    const again = setup({ batch_max_entries: 2 }, makeTestContext('source', 'journald', 'test_journald', ctx.dataDir));
    await again.src.start();
    await until('the rest', () => again.ctx.emitted.length > 0 && records(again.ctx).length === 2);
    await again.src.stop();
    assert.deepEqual(records(again.ctx).map((r) => r.ts % 100), [5, 6]);
    assert.match(readFileSync(`${ctx.dataDir}/argv.log`, 'utf8').split('\n')[1] ?? '', new RegExp(`--after-cursor=${cursors[3]?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --no-tail`));
    ctx.cleanup();
  });

  it('keeps the cursor when emit is refused and re-reads from it', async () => {
    const { ctx, src } = setup({ batch_max_entries: 4 });
    let calls = 0;
    ctx.onEmit = async () => {
      calls++;
      if (calls === 2) throw new Error('sink refused');
    };
    await src.start();
    await until('all delivered once the sink recovers', () => records(ctx).length >= 6 && savedCursor(ctx) === cursors[5]);
    await src.stop();
    // Batch 1 (entries 1-4) acked; batch 2 (5-6) refused, then re-read after cursor 4 and delivered.
    assert.deepEqual(records(ctx).map((r) => r.ts % 100), [1, 2, 3, 4, 5, 6]);
    assert.ok((await counterValue(ctx.registry, 'vigil_source_journald_restarts_total')) >= 1);
    const argv = readFileSync(`${ctx.dataDir}/argv.log`, 'utf8').trimEnd().split('\n');
    assert.ok(argv[1]?.includes(`--after-cursor=${cursors[3]}`), argv.join('\n'));
    ctx.cleanup();
  });

  it('starts over from `since` when journalctl refuses the saved cursor, and counts it', async () => {
    const ctx = makeTestContext('source', 'journald');
    copyFileSync(RECORDED, `${ctx.dataDir}/entries.jsonl`);
    writeFileSync(`${ctx.dataDir}/journald-cursor.json`, JSON.stringify({ version: 1, cursor: 's=vacuumed;i=99' }));
    const { src } = setup({}, ctx);
    await src.start();
    await until('all entries re-read', () => records(ctx).length === 6);
    await src.stop();
    assert.equal(await counterValue(ctx.registry, 'vigil_source_journald_cursor_invalid_total'), 1);
    assert.equal(savedCursor(ctx), cursors[5]);
    const argv = readFileSync(`${ctx.dataDir}/argv.log`, 'utf8').trimEnd().split('\n');
    assert.match(argv[0] ?? '', /--after-cursor=s=vacuumed;i=99/);
    assert.doesNotMatch(argv[1] ?? '', /after-cursor/);
    ctx.cleanup();
  });

  it('skips lines that are not JSON objects and oversized entries, counting them, and keeps going', async () => {
    const ctx = makeTestContext('source', 'journald');
    const lines = readFileSync(RECORDED, 'utf8').trimEnd().split('\n');
    writeFileSync(`${ctx.dataDir}/entries.jsonl`, [lines[0], '{"truncated":', '[1,2]', lines[5], lines[1], ''].join('\n'));
    const { src } = setup({ max_entry_size: 4096 }, ctx);
    await src.start();
    await until('2 entries', () => records(ctx).length === 2);
    await src.stop();
    assert.deepEqual(records(ctx).map((r) => r.ts % 100), [1, 2]);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'processing' }), 2);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'entry_too_large' }), 1);
    ctx.cleanup();
  });

  it('restarts journalctl with backoff when it exits or cannot be run', async () => {
    const { ctx, src } = setup({ journalctl_path: '/nonexistent/journalctl', restart_backoff: { min: '10ms', max: '40ms' } });
    await src.start();
    await until('3 restarts', async () => (await counterValue(ctx.registry, 'vigil_source_journald_restarts_total')) >= 3);
    await src.stop();
    assert.ok((await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' })) >= 3);

    const c2 = makeTestContext('source', 'journald');
    copyFileSync(RECORDED, `${c2.dataDir}/entries.jsonl`);
    writeFileSync(`${c2.dataDir}/exit-after-replay`, '');
    writeFileSync(`${c2.dataDir}/stderr.txt`, 'Journal file corrupted, ignoring.\n');
    const s2 = setup({}, c2).src;
    await s2.start();
    await until('restarted after exit', async () => (await counterValue(c2.registry, 'vigil_source_journald_restarts_total')) >= 2);
    await s2.stop();
    // Each restart resumes after the last entry read: nothing is emitted twice.
    assert.deepEqual(records(c2).map((r) => r.ts % 100), [1, 2, 3, 4, 5, 6]);
    ctx.cleanup();
    c2.cleanup();
  });

  it('stop kills journalctl and waits for the in-flight emit', async () => {
    const { ctx, src } = setup();
    let began = false;
    let finished = false;
    ctx.onEmit = async () => {
      began = true;
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
    };
    await src.start();
    await until('emit in flight', () => began);
    assert.ok(existsSync(`${ctx.dataDir}/argv.log`));
    await src.stop();
    assert.ok(finished, 'stop returned before the emit settled');
    assert.equal(savedCursor(ctx), cursors[5]);
    ctx.cleanup();
  });
});
