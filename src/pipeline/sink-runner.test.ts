import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Sink, SinkResult } from '../components/contract.js';
import { counterValue, makeTestContext } from '../components/testing.js';
import type { LogBatch } from '../core/events.js';
import { batchSize } from '../core/events.js';
import { resolveDelivery, type RawDelivery } from './delivery-config.js';
import { SinkRunner } from './sink-runner.js';

function batch(from: number, n: number): LogBatch {
  return { streams: [{ labels: { job: 't' }, ts: Array.from({ length: n }, (_, i) => (from + i) * 1000), lines: Array.from({ length: n }, (_, i) => `line ${from + i}`) }] };
}

/** A destination that can be switched down, slowed, and records what it took. */
class Destination implements Sink {
  up = true;
  delayMs = 0;
  taken: string[] = [];
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  answer: (() => SinkResult) | undefined;
  async start() {}
  async stop() {}
  async send(b: LogBatch): Promise<SinkResult> {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.answer) {
        const a = this.answer();
        if (a.status !== 'delivered') return a;
      }
      if (!this.up) return { status: 'errored', error: 'connect ECONNREFUSED' };
      for (const s of b.streams) this.taken.push(...s.lines);
      return { status: 'delivered' };
    } finally {
      this.inFlight--;
    }
  }
}

function runner(dest: Sink, raw: RawDelivery, dataDir = mkdtempSync(join(tmpdir(), 'vigil-runner-')), signal = new AbortController().signal) {
  const ctx = makeTestContext('sink', 'test', 'dest', dataDir);
  const r = new SinkRunner({
    id: 'dest', sink: dest, metrics: ctx.metrics, logger: ctx.logger, delivery: resolveDelivery(raw, 'memory'),
    dataDir, deadLetterDir: join(dataDir, 'dead'), signal, minBackoffMs: 5, maxBackoffMs: 20,
  });
  return { r, ctx, dataDir };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SinkRunner', () => {
  it('memory buffer: enqueue resolves only once the destination took the batch', async () => {
    const dest = new Destination();
    dest.up = false;
    const { r } = runner(dest, {});
    await r.start();
    let done = false;
    const p = r.enqueue(batch(0, 3)).then(() => (done = true));
    await until(() => dest.requests >= 3);
    assert.equal(done, false);
    dest.up = true;
    await p;
    assert.deepEqual(dest.taken, ['line 0', 'line 1', 'line 2']);
    await r.stop();
  });

  it('disk buffer: takes batches while the destination is down, survives a restart, delivers everything once it is back', async () => {
    const dest = new Destination();
    dest.up = false;
    const ac = new AbortController();
    const first = runner(dest, { buffer: { type: 'disk' } }, undefined, ac.signal);
    await first.r.start();
    for (let i = 0; i < 10; i++) await first.r.enqueue(batch(i * 100, 100)); // resolves: durable on disk
    assert.equal(dest.taken.length, 0);
    ac.abort();
    await first.r.stop();

    dest.up = true;
    const second = runner(dest, { buffer: { type: 'disk' } }, first.dataDir);
    await second.r.start();
    await until(() => dest.taken.length >= 1000);
    assert.deepEqual(dest.taken, Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    await second.r.stop();
    // Acknowledged: a third start sends nothing again.
    const third = runner(dest, { buffer: { type: 'disk' } }, first.dataDir);
    await third.r.start();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(dest.taken.length, 1000);
    await third.r.stop();
  });

  it('disk buffer: when_full drop_newest counts and drops, block waits for space', async () => {
    const dest = new Destination();
    dest.up = false;
    const ac = new AbortController();
    const { r, ctx } = runner(dest, { buffer: { type: 'disk', max_size: 4096, when_full: 'drop_newest' } }, undefined, ac.signal);
    await r.start();
    for (let i = 0; i < 60; i++) await r.enqueue(batch(i * 10, 10));
    const dropped = await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'buffer_full' });
    assert.ok(dropped > 0 && dropped < 600, `dropped ${dropped}`);
    ac.abort();
    await r.stop();

    const dest2 = new Destination();
    dest2.up = false;
    const b = runner(dest2, { buffer: { type: 'disk', max_size: 4096, when_full: 'block' } });
    await b.r.start();
    let resolved = 0;
    const all = Array.from({ length: 60 }, (_, i) => b.r.enqueue(batch(i * 10, 10)).then(() => resolved++));
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(resolved < 60, 'a full buffer must hold writers back');
    dest2.up = true;
    await Promise.all(all);
    await until(() => dest2.taken.length === 600);
    await b.r.stop();
  });

  it('runs up to `concurrency` requests at once and batches what queued meanwhile', async () => {
    const dest = new Destination();
    dest.delayMs = 30;
    const { r } = runner(dest, { request: { concurrency: 4 }, batch: { max_events: 50 } });
    await r.start();
    await Promise.all(Array.from({ length: 40 }, (_, i) => r.enqueue(batch(i * 10, 10))));
    assert.equal(dest.maxInFlight, 4);
    assert.equal(dest.taken.length, 400);
    assert.ok(dest.requests < 40, `queued batches are merged into requests (${dest.requests} requests)`);
    await r.stop();
  });

  it('adaptive concurrency grows on a fast destination and shrinks when it pushes back', async () => {
    const dest = new Destination();
    dest.delayMs = 5;
    const { r, ctx } = runner(dest, { request: { concurrency: 'adaptive', max_concurrency: 16 }, batch: { max_events: 10 } });
    await r.start();
    await Promise.all(Array.from({ length: 300 }, (_, i) => r.enqueue(batch(i * 10, 10))));
    const limit = async () => {
      const m = await ctx.registry.getSingleMetric('vigil_sink_concurrency_limit')!.get();
      return m.values[0]!.value;
    };
    const grown = await limit();
    assert.ok(grown > 2, `limit grew to ${grown}`);
    assert.ok(dest.maxInFlight > 2);
    let pushBack = 40;
    dest.answer = () => (pushBack-- > 0 ? { status: 'errored', error: 'status 429', retryAfterMs: 1 } : { status: 'delivered' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => r.enqueue(batch(i * 10, 10))));
    const shrunk = await limit();
    assert.ok(shrunk < grown, `limit shrank from ${grown} to ${shrunk}`);
    await r.stop();
  });

  it('dead-letters rejected entries of a partial result and retries only the rest', async () => {
    const dest = new Destination();
    let first = true;
    dest.answer = () => {
      if (!first) return { status: 'delivered' };
      first = false;
      return { status: 'partial', error: '2 items failed', retry: batch(1, 1), rejected: [{ batch: batch(2, 1), reason: 'mapper_parsing_exception' }] };
    };
    const { r, ctx } = runner(dest, {});
    await r.start();
    await r.enqueue(batch(0, 3));
    assert.deepEqual(dest.taken, ['line 1']);
    assert.equal(await counterValue(ctx.registry, 'vigil_component_discarded_events_total', { reason: 'rejected' }), 1);
    await r.stop();
  });

  it('a batch of many records is split at max_events into several requests', async () => {
    const dest = new Destination();
    dest.up = false;
    const ac = new AbortController();
    const { r, dataDir } = runner(dest, { buffer: { type: 'disk' }, batch: { max_events: 100 } }, undefined, ac.signal);
    await r.start();
    for (let i = 0; i < 10; i++) await r.enqueue(batch(i * 50, 50));
    ac.abort();
    await r.stop();
    dest.up = true;
    const sizes: number[] = [];
    const orig = dest.send.bind(dest);
    dest.send = async (b) => {
      sizes.push(batchSize(b));
      return orig(b);
    };
    const again = runner(dest, { buffer: { type: 'disk' }, batch: { max_events: 100 } }, dataDir);
    await again.r.start();
    await until(() => dest.taken.length === 500);
    assert.ok(sizes.every((s) => s <= 100), `request sizes ${sizes.join(',')}`);
    assert.equal(dest.maxInFlight, 1, 'a backlog read from disk still respects concurrency 1');
    await again.r.stop();
  });

  it('a dead-letter file that cannot be written does not keep the disk buffer from draining', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-runner-'));
    const notADir = join(dataDir, 'file');
    writeFileSync(notADir, 'x'); // mkdir <file>/dead fails, as on a full or read-only disk
    const dest = new Destination();
    dest.answer = () => ({ status: 'delivered' });
    const send = dest.send.bind(dest);
    let rejectedOnce = false;
    dest.send = async (b) => {
      if (b.streams[0]?.lines[0] === 'line 0') {
        rejectedOnce = true;
        return { status: 'rejected', reason: '400 entry too far behind' };
      }
      return send(b);
    };
    const ctx = makeTestContext('sink', 'test', 'dest', dataDir);
    const ac = new AbortController();
    const r = new SinkRunner({ id: 'dest', sink: dest, metrics: ctx.metrics, logger: ctx.logger, delivery: resolveDelivery({ buffer: { type: 'disk' } }, 'disk'), dataDir, deadLetterDir: join(notADir, 'dead'), signal: ac.signal, minBackoffMs: 5, maxBackoffMs: 20 });
    await r.start();
    await r.enqueue(batch(0, 1));
    await until(() => rejectedOnce);
    for (let i = 1; i <= 5; i++) await r.enqueue(batch(i, 1));
    await until(() => dest.taken.length === 5);
    const q = (r as unknown as { queue: { usedBytes(): number } }).queue;
    await until(() => q.usedBytes() === 0);
    ac.abort();
    await r.stop();
  });

  it('a read error of the disk buffer is logged and retried, never an unhandled rejection', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-runner-'));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const dest = new Destination();
    dest.up = false;
    const ctx = makeTestContext('sink', 'test', 'dest', dataDir);
    const ac = new AbortController();
    const r = new SinkRunner({ id: 'dest', sink: dest, metrics: ctx.metrics, logger: ctx.logger, delivery: resolveDelivery({ buffer: { type: 'disk', max_size: '600KB' } }, 'disk'), dataDir, deadLetterDir: join(dataDir, 'dead'), signal: ac.signal, minBackoffMs: 5, maxBackoffMs: 20, diskRecentBytes: 0 });
    await r.start();
    const big = (tag: string): LogBatch => ({ streams: [{ labels: { job: 't' }, ts: [1], lines: [tag + 'x'.repeat(40_000)] }] });
    await r.enqueue(big('a'));
    await r.enqueue(big('b'));
    const segs = readdirSync(join(dataDir, 'buffer')).filter((n) => n.endsWith('.seg')).sort();
    assert.ok(segs.length > 1, 'two segments');
    rmSync(join(dataDir, 'buffer', segs[segs.length - 1]!)); // the next segment cannot be opened
    dest.up = true;
    await until(() => dest.taken.length >= 1);
    await new Promise((res) => setTimeout(res, 200));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled.map(String), []);
    assert.ok((await counterValue(ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' })) >= 1);
    ac.abort();
    await r.stop();
  });
});
