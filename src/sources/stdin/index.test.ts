import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext } from '../../components/testing.js';
import { batchToRecords, type LogBatch } from '../../core/events.js';
import def from './index.js';
import { StdinSource } from './stdin-source.js';

conformance(def, import.meta.url);

const script = fileURLToPath(new URL('testdata/run-stdin.ts', import.meta.url));

/** Runs the source in a child process with `input` piped (in pieces) into its stdin. */
function runPiped(config: object, pieces: Buffer[], env: Record<string, string> = {}): Promise<LogBatch[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`exit ${code}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as LogBatch[]);
    });
    void (async () => {
      for (const p of pieces) {
        if (!child.stdin.write(p)) await new Promise((r) => child.stdin.once('drain', r));
        await sleep(5);
      }
      child.stdin.end();
    })();
  });
}

describe('stdin source', () => {
  it('reads piped input to EOF in batches, in order, lines split across writes, last line without newline', async () => {
    const n = 20_000;
    const text = Array.from({ length: n }, (_, i) => `line ${i}`).join('\n');
    const all = Buffer.concat([Buffer.from(text), Buffer.from('\nbad \xff bytes\r\nend without newline', 'latin1')]);
    const pieces = [all.subarray(0, 1003), all.subarray(1003, 90_001), all.subarray(90_001)];
    const batches = await runPiped({ labels: { job: 'pipe' }, batch_max_lines: 5000 }, pieces);
    const recs = batches.flatMap((b) => batchToRecords(b));
    assert.equal(recs.length, n + 2);
    for (let i = 0; i < n; i++) assert.equal(recs[i]?.line, `line ${i}`);
    assert.equal(recs[n]?.line, 'bad \uFFFD bytes');
    assert.equal(recs[n + 1]?.line, 'end without newline');
    assert.ok(recs.every((r) => r.labels['job'] === 'pipe'));
    assert.ok(batches.length >= 5 && batches.every((b) => b.streams[0]!.lines.length <= 5000), `${batches.length} batches`);
  });

  it('keeps every line when the pipeline is slow', async () => {
    const input = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${i}\n`).join(''));
    const batches = await runPiped({ batch_max_lines: 100, batch_timeout: '1ms' }, [input], { EMIT_DELAY_MS: '2' });
    const lines = batches.flatMap((b) => batchToRecords(b)).map((r) => r.line);
    assert.deepEqual(lines, Array.from({ length: 3000 }, (_, i) => String(i)));
  });

  it('pauses the input while an emit is pending; stop before EOF resolves done and emits what was read', async () => {
    const ctx = makeTestContext('source', 'stdin');
    const input = new PassThrough();
    let release!: () => void;
    ctx.onEmit = () => new Promise<void>((r) => (release = r));
    const src = new StdinSource(ctx, { input, labels: {}, maxLineBytes: 100, batchMaxLines: 2, batchTimeoutMs: 5 });
    await src.start();
    input.write('a\nb\n');
    await sleep(20);
    assert.equal(input.isPaused(), true, 'paused while the emit is pending');
    input.write(`c\n${'x'.repeat(300)}\n`);
    release();
    await sleep(20);
    assert.equal(input.isPaused(), true, 'the next emit is pending');
    release();
    await sleep(20);
    assert.equal(input.isPaused(), false);
    ctx.onEmit = async () => {};
    input.write('tail');
    await src.stop();
    await src.done;
    assert.deepEqual(ctx.emitted.flatMap((b) => batchToRecords(b)).map((r) => r.line), ['a', 'b', 'c', 'x'.repeat(100), 'tail']);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'line_truncated' }), 1);
    ctx.cleanup();
  });
});
