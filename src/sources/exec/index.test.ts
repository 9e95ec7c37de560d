import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext, type TestContext } from '../../components/testing.js';
import { validateAgainst } from '../../config/validate.js';
import { batchToRecords, type LogRecord } from '../../core/events.js';
import def from './index.js';

conformance(def, import.meta.url, { config: () => ({ command: ['sleep', '30'], kill_grace: '1s' }) });

function build(config: Record<string, unknown>): { ctx: TestContext; src: ReturnType<typeof def.build> } {
  assert.deepEqual(validateAgainst(def.schema, config), []);
  const ctx = makeTestContext('source', 'exec');
  return { ctx, src: def.build(config as never, ctx) };
}

function records(ctx: TestContext): LogRecord[] {
  return ctx.emitted.flatMap((b) => batchToRecords(b));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('exec source', () => {
  it('reads stdout and stderr lines, restarts with exponential backoff and counts restarts', async () => {
    const { ctx, src } = build({
      command: ['sh', '-c', 'echo a; echo b 1>&2; exit 3'],
      restart_backoff: { min: '80ms', max: '320ms' },
      labels: { job: 'sh' },
      batch_timeout: '5ms',
    });
    await src.start();
    try {
      await until('5 runs', () => records(ctx).filter((r) => r.line === 'a').length >= 5);
    } finally {
      await src.stop();
    }
    const recs = records(ctx);
    const outs = recs.filter((r) => r.line === 'a');
    const errs = recs.filter((r) => r.line === 'b');
    assert.ok(outs.every((r) => r.labels['stream'] === 'stdout' && r.labels['job'] === 'sh'));
    assert.ok(errs.length >= 4 && errs.every((r) => r.labels['stream'] === 'stderr'));
    const gaps = outs.slice(1, 5).map((r, i) => (r.ts - (outs[i] as LogRecord).ts) / 1000);
    // Expected ≈ 80, 160, 320, 320 ms (+ process start-up).
    assert.ok((gaps[0] as number) >= 70 && (gaps[0] as number) < 400, `gaps ${gaps}`);
    assert.ok((gaps[1] as number) >= 150, `gaps ${gaps}`);
    assert.ok((gaps[2] as number) >= 300 && (gaps[3] as number) >= 300 && (gaps[3] as number) < 900, `gaps ${gaps}`);
    assert.ok((await counterValue(ctx.registry, 'vigil_source_exec_restarts_total')) >= 4);
    ctx.cleanup();
  });

  it('runs the command every interval in interval mode, with env, cwd and a shell', async () => {
    const { ctx, src } = build({
      command: ['echo', '"$GREETING" $(pwd)'],
      shell: true,
      env: { GREETING: 'hi' },
      cwd: '/tmp',
      mode: 'interval',
      interval: '150ms',
      batch_timeout: '5ms',
    });
    const t0 = Date.now();
    await src.start();
    // Wait for four runs (a loaded machine may be slow), then check no run came early.
    for (let i = 0; i < 100 && records(ctx).length < 4; i++) await sleep(50);
    await src.stop();
    const elapsed = Date.now() - t0;
    const recs = records(ctx);
    assert.ok(recs.length >= 4, `${recs.length} runs in ${elapsed} ms`);
    assert.ok(recs.length <= Math.floor(elapsed / 150) + 1, `${recs.length} runs in ${elapsed} ms: more than one per interval`);
    assert.ok(recs.every((r) => r.line === 'hi /tmp'), recs[0]?.line);
    assert.equal(await counterValue(ctx.registry, 'vigil_source_exec_restarts_total'), 0);
    ctx.cleanup();
  });

  it('stop kills the whole process group, SIGKILL after the grace when SIGTERM is ignored', async () => {
    const { ctx, src } = build({
      command: ['sh', '-c', 'sleep 1000 & echo $!; echo $$; trap "" TERM; while :; do sleep 0.05; done'],
      kill_grace: '200ms',
      batch_timeout: '5ms',
    });
    await src.start();
    await until('pids', () => records(ctx).length >= 2);
    const pids = records(ctx).map((r) => Number(r.line));
    assert.ok(pids.every((p) => p > 1 && alive(p)));
    const t0 = Date.now();
    await src.stop();
    assert.ok(Date.now() - t0 >= 150, 'waited for the grace');
    for (const p of pids) assert.equal(alive(p), false, `pid ${p} is gone`);
    await src.stop();
    ctx.cleanup();
  });

  it('pauses reading while an emit is pending (a slow pipeline slows the child down)', async () => {
    const { ctx, src } = build({ command: ['seq', '1', '2000000'], batch_max_lines: 500, batch_timeout: '5ms' });
    let pending = 0;
    let maxPending = 0;
    ctx.onEmit = async () => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      await sleep(40);
      pending--;
    };
    await src.start();
    await sleep(500);
    const received = await counterValue(ctx.registry, 'vigil_component_received_events_total');
    await src.stop();
    assert.equal(maxPending, 1, 'one emit at a time');
    // Unpaused, seq writes its 15 MB in well under 500 ms; paused, ~12 emits let only a few chunks through.
    assert.ok(received > 0 && received < 300_000, `received ${received}`);
    const lines = records(ctx).map((r) => r.line);
    assert.deepEqual(lines.slice(0, 3), ['1', '2', '3']);
    // The last line may be cut short where SIGTERM interrupted seq; every other one is whole.
    const last = lines.pop() as string;
    assert.ok(String(lines.length + 1).startsWith(last), `last ${last}`);
    for (let i = 1; i < lines.length; i++) assert.equal(Number(lines[i]), Number(lines[i - 1]) + 1, 'in order, none lost');
    ctx.cleanup();
  });

  it('truncates long lines, replaces invalid UTF-8, keeps an unterminated last line', async () => {
    const { ctx, src } = build({
      command: ['sh', '-c', "head -c 3000 /dev/zero | tr '\\0' x; echo; printf 'bad \\377\\376 bytes\\nno newline'; sleep 30"],
      max_line_size: 1000,
      batch_timeout: '5ms',
    });
    await src.start();
    await until('2 lines', () => records(ctx).length >= 2);
    await src.stop();
    const lines = records(ctx).map((r) => r.line);
    assert.deepEqual(lines, ['x'.repeat(1000), 'bad \uFFFD\uFFFD bytes', 'no newline']);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'line_truncated' }), 1);
    ctx.cleanup();
  });

  it('counts a command that cannot be started and keeps retrying', async () => {
    const { ctx, src } = build({ command: ['/no/such/program'], restart_backoff: { min: '20ms', max: '40ms' } });
    await src.start();
    await until('retries', async () => (await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' })) >= 3);
    await src.stop();
    ctx.cleanup();
  });

  it('rejects a backoff whose max is below its min', () => {
    assert.throws(() => build({ command: ['true'], restart_backoff: { min: '10s', max: '1s' } }), /restart_backoff: max is less than min/);
  });
});
