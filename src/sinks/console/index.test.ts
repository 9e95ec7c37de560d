import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../components/conformance.js';
import { counterValue, makeTestContext } from '../../components/testing.js';
import type { LogBatch } from '../../core/events.js';
import def from './index.js';

conformance(def, import.meta.url);

const T = 1704164645678901; // 2024-01-02T03:04:05.678901Z
const sample: LogBatch = {
  streams: [{ labels: { b: '2', a: '1' }, ts: [T, T + 1], lines: ['one', 'two'], fields: [undefined, { k: 'v' }] }],
};

/** Runs `fn` with process.stdout/stderr.write captured; restores them even on failure. */
async function capture(which: 'stdout' | 'stderr', fn: () => Promise<unknown>): Promise<{ written: string[]; result: unknown }> {
  const stream = process[which];
  const original = stream.write;
  const written: string[] = [];
  stream.write = ((chunk: string | Uint8Array, cb?: (err?: Error | null) => void) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (typeof cb === 'function') queueMicrotask(() => cb(null));
    return true;
  }) as typeof stream.write;
  try {
    return { written, result: await fn() };
  } finally {
    stream.write = original;
  }
}

describe('console sink', () => {
  it('text: one write per batch with time, sorted labels and line', async () => {
    const ctx = makeTestContext('sink', 'console');
    const sink = def.build({}, ctx);
    const { written, result } = await capture('stdout', () => sink.send(sample));
    assert.deepEqual(result, { status: 'delivered' });
    assert.deepEqual(written, ['2024-01-02T03:04:05.678901Z {a="1", b="2"} one\n2024-01-02T03:04:05.678902Z {a="1", b="2"} two\n']);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_sent_events_total'), 2);
    ctx.cleanup();
  });

  it('ndjson to stderr', async () => {
    const ctx = makeTestContext('sink', 'console');
    const sink = def.build({ format: 'ndjson', target: 'stderr' }, ctx);
    const { written } = await capture('stderr', () => sink.send(sample));
    assert.equal(written.length, 1);
    assert.deepEqual(
      (written[0] ?? '').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown),
      [
        { timestamp: '2024-01-02T03:04:05.678901Z', labels: { b: '2', a: '1' }, line: 'one', fields: {} },
        { timestamp: '2024-01-02T03:04:05.678902Z', labels: { b: '2', a: '1' }, line: 'two', fields: { k: 'v' } },
      ],
    );
    ctx.cleanup();
  });

  it('a failing stream answers errored, never throws', async () => {
    const ctx = makeTestContext('sink', 'console');
    const sink = def.build({}, ctx);
    const original = process.stdout.write;
    process.stdout.write = ((_c: unknown, cb?: (err?: Error | null) => void) => {
      queueMicrotask(() => cb?.(new Error('EPIPE: broken pipe')));
      return false;
    }) as typeof process.stdout.write;
    let r;
    try {
      r = await sink.send(sample);
    } finally {
      process.stdout.write = original;
    }
    assert.deepEqual(r, { status: 'errored', error: 'stdout: EPIPE: broken pipe' });
    ctx.cleanup();
  });
});
