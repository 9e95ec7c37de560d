/**
 * The journald source against the real journalctl reading real journal files, written by
 * systemd-journal-remote from Journal Export Format (Debian: systemd + systemd-journal-remote).
 * Skipped, saying why, when either program is missing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { counterValue, makeTestContext, type TestContext } from '../../src/components/testing.js';
import { validateAgainst } from '../../src/config/validate.js';
import { batchToRecords, type LogRecord } from '../../src/core/events.js';
import def from '../../src/sources/journald/index.js';
import { journalctlPath, messages, realJournalMissing, TestJournal, until } from '../../src/sources/journald/test-helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function journal(): TestJournal {
  const d = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
  dirs.push(d);
  return new TestJournal(d);
}

function source(j: TestJournal, config: Record<string, unknown> = {}, dataDir?: string): { ctx: TestContext; src: ReturnType<typeof def.build> } {
  const ctx = makeTestContext('source', 'journald', 'test_journald', dataDir);
  if (!dataDir) dirs.push(ctx.dataDir);
  const full = { journalctl_path: journalctlPath, directory: j.dir, since: 'beginning', batch_timeout: '20ms', restart_backoff: { min: '50ms', max: '200ms' }, ...config };
  assert.deepEqual(validateAgainst(def.schema, full), []);
  return { ctx, src: def.build(full as never, ctx) };
}

const records = (ctx: TestContext): LogRecord[] => ctx.emitted.flatMap((b) => batchToRecords(b)).sort((a, b) => a.ts - b.ts);
const lines = (ctx: TestContext): string[] => records(ctx).map((r) => r.line);
const savedCursor = (ctx: TestContext): string | undefined =>
  (JSON.parse(readFileSync(`${ctx.dataDir}/journald-cursor.json`, 'utf8')) as { cursor?: string }).cursor;
const range = (p: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${p}-${from + i}`);

const BASE = 1_795_000_000_000_000;

describe('journald source with a real journal', { skip: realJournalMissing }, () => {
  it('follows appended entries and new journal files, with labels, level, fields and binary messages', async () => {
    const j = journal();
    await j.append([
      { realtimeUs: BASE + 1, fields: [['_HOSTNAME', 'web-1'], ['_SYSTEMD_UNIT', 'nginx.service'], ['SYSLOG_IDENTIFIER', 'nginx'], ['PRIORITY', '3'], ['_PID', '811'], ['MESSAGE', 'upstream timed out']] },
      { realtimeUs: BASE + 2, fields: [['_HOSTNAME', 'web-1'], ['PRIORITY', '4'], ['MESSAGE', Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff, 0x0a, 0x78])]] },
    ]);
    const { ctx, src } = source(j, { labels: { job: 'j' } });
    await src.start();
    try {
      await until('the first 2 entries', () => records(ctx).length === 2);
      await j.append(messages('more', 0, 3, BASE + 10));
      await new TestJournal(j.dir, 'second.journal', 5000).append(messages('other-file', 0, 1, BASE + 20));
      await until('6 entries', () => records(ctx).length === 6);
    } finally {
      await src.stop();
    }
    const recs = records(ctx);
    assert.deepEqual(recs[0], {
      ts: BASE + 1,
      labels: { job: 'j', unit: 'nginx.service', host: 'web-1', syslog_identifier: 'nginx', level: 'error' },
      line: 'upstream timed out',
      fields: { _PID: '811', _BOOT_ID: '6a1f0c2b9d4e4f1a8b7c3d2e1f0a9b8c' },
    });
    assert.equal(recs[1]?.line, 'bin\u0000\uFFFD\nx');
    assert.equal(recs[1]?.labels['level'], 'warn');
    assert.deepEqual(recs.slice(2).map((r) => r.line), [...range('more', 0, 3), 'other-file-0']);
    assert.match(savedCursor(ctx) ?? '', /^s=[0-9a-f]+;i=/);
  });

  it('resumes after the acknowledged cursor: nothing lost, only the unacknowledged batch read again', async () => {
    const j = journal();
    await j.append(messages('m', 0, 20, BASE));
    const a = source(j, { batch_max_entries: 5 });
    let n = 0;
    const attempted: string[] = [];
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => (release = r));
    a.ctx.onEmit = async (batch) => {
      if (++n === 3) {
        attempted.push(...batchToRecords(batch).map((r) => r.line));
        await blocked;
        throw new Error('pipeline stopping');
      }
    };
    await a.src.start();
    await until('third batch in flight', () => n === 3);
    const stopping = a.src.stop();
    release();
    await stopping;
    assert.deepEqual(lines(a.ctx), range('m', 0, 10));
    assert.deepEqual(attempted, range('m', 10, 15));

    await j.append(messages('m', 20, 30, BASE));
    const b = source(j, { batch_max_entries: 5 }, a.ctx.dataDir);
    await b.src.start();
    try {
      await until('the rest', () => records(b.ctx).length >= 20);
    } finally {
      await b.src.stop();
    }
    assert.deepEqual(lines(b.ctx), range('m', 10, 30));
    const rawLast = JSON.parse(
      (await import('node:child_process')).execFileSync(journalctlPath as string, ['-D', j.dir, '-o', 'json', '-n', '1'], { encoding: 'utf8' }),
    ) as { __CURSOR: string };
    assert.equal(savedCursor(b.ctx), rawLast.__CURSOR);
  });

  it('keeps the cursor when emit is refused and delivers everything once the pipeline takes it', async () => {
    const j = journal();
    await j.append(messages('r', 0, 8, BASE));
    const { ctx, src } = source(j, { batch_max_entries: 3 });
    let calls = 0;
    ctx.onEmit = async () => {
      if (++calls === 2) throw new Error('disk buffer full');
    };
    await src.start();
    try {
      await until('8 delivered', () => records(ctx).length >= 8);
      await j.append(messages('r', 8, 10, BASE));
      await until('10 delivered', () => records(ctx).length >= 10);
    } finally {
      await src.stop();
    }
    assert.deepEqual(lines(ctx), range('r', 0, 10));
    assert.ok((await counterValue(ctx.registry, 'vigil_source_journald_restarts_total')) >= 1);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'sending' }), 3);
  });

  it('warns, counts and starts over from `since` when journalctl refuses the saved cursor', async () => {
    const j = journal();
    await j.append(messages('c', 0, 4, BASE));
    const ctx0 = makeTestContext('source', 'journald');
    dirs.push(ctx0.dataDir);
    writeFileSync(join(ctx0.dataDir, 'journald-cursor.json'), JSON.stringify({ version: 1, cursor: 'not-a-cursor' }));
    const { ctx, src } = source(j, {}, ctx0.dataDir);
    await src.start();
    try {
      await until('4 entries', () => records(ctx).length === 4);
    } finally {
      await src.stop();
    }
    assert.deepEqual(lines(ctx), range('c', 0, 4));
    assert.equal(await counterValue(ctx.registry, 'vigil_source_journald_cursor_invalid_total'), 1);
    assert.match(savedCursor(ctx) ?? '', /;i=4;/);
  });

  it('since now: skips older entries, and a restart before any entry keeps the start time', async () => {
    const j = journal();
    const now = Date.now() * 1000;
    await j.append(messages('old', 0, 2, now - 60_000_000));
    const a = source(j, { since: 'now' });
    await a.src.start();
    await new Promise((r) => setTimeout(r, 300));
    await a.src.stop();
    assert.equal(records(a.ctx).length, 0);
    // Written while the source was down, after it first started.
    await j.append(messages('new', 0, 2, Date.now() * 1000));
    const b = source(j, { since: 'now' }, a.ctx.dataDir);
    await b.src.start();
    try {
      await until('2 new entries', () => records(b.ctx).length === 2);
      await j.append(messages('new', 2, 3, Date.now() * 1000));
      await until('3 new entries', () => records(b.ctx).length === 3);
    } finally {
      await b.src.stop();
    }
    assert.deepEqual(lines(b.ctx), range('new', 0, 3));
  });

  it('applies units, priority and matches', async () => {
    const j = journal();
    const e = (unit: string, pri: string, comm: string, msg: string, i: number) => ({
      realtimeUs: BASE + i,
      fields: [['_SYSTEMD_UNIT', unit], ['PRIORITY', pri], ['_COMM', comm], ['MESSAGE', msg]] as Array<[string, string]>,
    });
    await j.append([e('a.service', '3', 'x', 'keep-1', 1), e('a.service', '6', 'x', 'too-verbose', 2), e('b.service', '3', 'x', 'other-unit', 3), e('a.service', '4', 'y', 'wrong-comm', 4), e('a.service', '2', 'x', 'keep-2', 5)]);
    const { ctx, src } = source(j, { units: ['a.service'], priority: 'warning', matches: ['_COMM=x'] });
    await src.start();
    try {
      await until('2 entries', () => records(ctx).length === 2);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await src.stop();
    }
    assert.deepEqual(lines(ctx), ['keep-1', 'keep-2']);
  });
});

describe('journald source killed with SIGKILL', { skip: realJournalMissing }, () => {
  it('loses nothing acknowledged and re-reads at most one batch after a restart', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const j = journal();
    const total = 3000;
    await j.append(messages('k', 0, total, BASE));
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-journald-crash-'));
    dirs.push(dataDir);
    const sinkFile = join(dataDir, 'sink.txt');
    const sunk = (): string[] => (existsSync(sinkFile) ? readFileSync(sinkFile, 'utf8').split('\n').filter((l) => l !== '') : []);
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('../../src/sources/journald/testdata/crash-child.ts', import.meta.url).pathname, journalctlPath as string, j.dir, dataDir, sinkFile], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', r));
    try {
      await until('the child to deliver some batches', () => sunk().length >= 500, 30_000);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const before = sunk();
    assert.ok(before.length < total, 'killed before the end (otherwise the test proves nothing)');
    // The orphaned journalctl exits on its next write (EPIPE); give it one.
    await j.append(messages('k', total, total + 1, BASE));

    const { ctx, src } = source(j, { batch_max_entries: 50 }, dataDir);
    await src.start();
    try {
      await until('the rest', () => before.length + records(ctx).length >= total + 1 && lines(ctx).includes(`k-${total}`), 30_000);
    } finally {
      await src.stop();
    }
    const after = lines(ctx);
    const all = [...before, ...after];
    const unique = new Set(all);
    assert.equal(unique.size, total + 1, 'every entry delivered');
    assert.ok(all.length - unique.size <= 50, `duplicates ${all.length - unique.size} exceed one batch`);
    // Acknowledged order is the journal's: the restart picks up where the checkpoint says.
    assert.equal(after.filter((l) => !before.includes(l))[0], `k-${before.length}`);
  });
});
