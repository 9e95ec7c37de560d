/**
 * Runs one sink behind its own buffer: sources hand batches to `enqueue`, a drain loop forms
 * requests (batch limits), keeps up to `concurrency` of them in flight (fixed or adaptive) and
 * retries each until delivered or dead-lettered (deliver.ts).
 *
 * - memory buffer: `enqueue` resolves when the destination took the batch, so a source advances
 *   its checkpoint only after delivery; a dead destination holds its sources back (back pressure).
 * - disk buffer: `enqueue` resolves once the batch is fsynced in the sink's segment files; the
 *   drain loop acknowledges records only after delivery, so a crash re-sends at most the requests
 *   in flight, and a slow or dead destination fills its own buffer without stalling other sinks.
 *
 * `when_full: block` makes `enqueue` wait for space; `drop_newest` counts and drops the batch.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ComponentMetrics, Sink } from '../components/contract.js';
import { decodeBatch, encodeBatch, mergeBatches } from '../buffer/batch-codec.js';
import { DiskQueue } from '../buffer/disk-queue.js';
import type { LogBatch } from '../core/events.js';
import { batchBytes, batchSize } from '../core/events.js';
import { errorMessage, VigilError } from '../core/errors.js';
import { AdaptiveConcurrency } from './adaptive.js';
import { deliver } from './deliver.js';
import type { DeliveryConfig } from './delivery-config.js';

export interface SinkRunnerOptions {
  id: string;
  sink: Sink;
  metrics: ComponentMetrics;
  logger: Logger;
  delivery: DeliveryConfig;
  /** The sink's own directory (the disk buffer lives in `<dataDir>/buffer`). */
  dataDir: string;
  deadLetterDir: string;
  /** Aborted at shutdown: deliveries stop retrying (disk records stay queued for the next start). */
  signal: AbortSignal;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** DiskQueueOptions.recentBytes (tests set 0 to exercise reading records back from the files). */
  diskRecentBytes?: number;
}

/** Encoded bytes of the batches remembered for a disk buffer's read-back (see SinkRunner.written). */
const WRITTEN_CACHE_BYTES = 32 * 1024 * 1024;

interface MemItem {
  batch: LogBatch;
  events: number;
  bytes: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

function gauge(registry: Registry, name: string, help: string): Gauge<'sink'> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<'sink'>;
  return new Gauge({ name, help, labelNames: ['sink'], registers: [registry] });
}

export class SinkRunner {
  private queue: DiskQueue | undefined;
  private readonly mem: MemItem[] = [];
  private memBytes = 0;
  private active = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readonly spaceWaiters = new Set<() => void>();
  private readonly adaptive: AdaptiveConcurrency | undefined;
  private readonly idleWaiters = new Set<() => void>();
  private readonly gauges;

  constructor(private readonly o: SinkRunnerOptions) {
    // Every writer waiting for space and every delivery's backoff listens on the shared signal.
    setMaxListeners(0, o.signal);
    const r = o.delivery.request;
    if (r.concurrency === 'adaptive') this.adaptive = new AdaptiveConcurrency({ max: r.maxConcurrency });
    const reg = o.metrics.registry;
    this.gauges = {
      bytes: gauge(reg, 'vigil_sink_buffer_bytes', 'Bytes waiting in a sink\'s buffer.'),
      inflight: gauge(reg, 'vigil_sink_requests_in_flight', 'Requests a sink has in flight.'),
      limit: gauge(reg, 'vigil_sink_concurrency_limit', 'Requests a sink may have in flight (changes when adaptive).'),
    };
    this.gauges.limit.set({ sink: o.id }, this.limit());
  }

  private limit(): number {
    const c = this.o.delivery.request.concurrency;
    return c === 'adaptive' ? (this.adaptive as AdaptiveConcurrency).limit : c;
  }

  async start(): Promise<void> {
    if (this.o.delivery.buffer.type === 'disk') {
      this.queue = DiskQueue.open({
        dir: join(this.o.dataDir, 'buffer'),
        maxBytes: this.o.delivery.buffer.maxBytes,
        ...(this.o.diskRecentBytes !== undefined ? { recentBytes: this.o.diskRecentBytes } : {}),
        onCorrupt: (c) => {
          this.o.metrics.error('receiving');
          this.o.logger.error({ file: c.file, offset: c.offset, skipped_bytes: c.skipped, reason: c.reason }, 'corrupt record in the disk buffer; skipped, the rest of the buffer is kept');
        },
      });
      const queued = this.queue.usedBytes();
      if (queued > 0) this.o.logger.info({ bytes: queued }, 'resuming delivery of the disk buffer');
    }
    this.loop = this.run();
  }

  /** Takes a batch (see the module comment for when it resolves). Rejects when stopping. */
  async enqueue(batch: LogBatch): Promise<void> {
    if (this.stopped) throw new VigilError('UNAVAILABLE', `sink ${this.o.id} is stopping`);
    const events = batchSize(batch);
    if (events === 0) return;
    const { whenFull } = this.o.delivery.buffer;
    if (this.queue) {
      const payload = encodeBatch(batch);
      while (this.queue.wouldOverflow(payload.length)) {
        if (whenFull === 'drop_newest') return this.dropFull(events);
        await this.queue.waitForSpace(this.o.signal);
        if (this.stopped || this.o.signal.aborted) throw new VigilError('UNAVAILABLE', `sink ${this.o.id} is stopping`);
      }
      await this.queue.append([payload]);
      this.remember(payload, batch);
      this.gauges.bytes.set({ sink: this.o.id }, this.queue.usedBytes());
      this.wakeLoop?.();
      return;
    }
    const bytes = batchBytes(batch);
    while (this.memBytes > 0 && this.memBytes + bytes > this.o.delivery.buffer.maxBytes) {
      if (whenFull === 'drop_newest') return this.dropFull(events);
      await new Promise<void>((r) => this.spaceWaiters.add(r));
      if (this.stopped) throw new VigilError('UNAVAILABLE', `sink ${this.o.id} is stopping`);
    }
    return new Promise<void>((resolve, reject) => {
      this.mem.push({ batch, events, bytes, resolve, reject });
      this.memBytes += bytes;
      this.gauges.bytes.set({ sink: this.o.id }, this.memBytes);
      this.wakeLoop?.();
    });
  }

  private dropFull(events: number): void {
    this.o.metrics.discarded('buffer_full', events);
    this.o.logger.warn({ entries: events, max_size: this.o.delivery.buffer.maxBytes }, 'sink buffer full; batch dropped (when_full: drop_newest)');
  }

  private waitForWork(ms?: number): Promise<void> {
    // Work that arrived while the loop was busy (its wake-up went to an earlier waiter) is taken now.
    if (ms === undefined && !this.stopped && this.active < this.limit() && this.hasWork()) return Promise.resolve();
    const shutdown = this.o.signal;
    return new Promise((resolve) => {
      const t = ms !== undefined ? setTimeout(done, ms) : undefined;
      const q = this.queue;
      const ac = new AbortController();
      function done() {
        if (t) clearTimeout(t);
        shutdown.removeEventListener('abort', done);
        ac.abort();
        resolve();
      }
      this.wakeLoop = done;
      if (q) void q.waitForData(ac.signal).then(done);
      if (shutdown.aborted) done();
      else shutdown.addEventListener('abort', done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const { batch } = this.o.delivery;
    let oldestWaitStart = 0;
    // Once the shutdown signal fired, deliveries fail at once: stop reading the buffer too.
    while (!this.stopped && !this.o.signal.aborted) {
      if (this.active >= this.limit()) {
        await this.waitForWork();
        continue;
      }
      // Optional fill timeout: hold a small request back until it is full or old enough.
      if (batch.timeoutMs > 0 && this.available() < batch.maxEvents) {
        if (!this.hasWork()) {
          oldestWaitStart = 0;
          await this.waitForWork();
          continue;
        }
        oldestWaitStart ||= Date.now();
        const left = oldestWaitStart + batch.timeoutMs - Date.now();
        if (left > 0) {
          await this.waitForWork(left);
          continue;
        }
      }
      oldestWaitStart = 0;
      let started: boolean;
      try {
        started = this.queue ? await this.takeDisk() : this.takeMemory();
      } catch (e) {
        // A read error of the disk buffer (EIO, EMFILE...) must neither crash the process nor end delivery.
        this.o.metrics.error('receiving');
        this.o.logger.error({ error: errorMessage(e) }, 'cannot read the disk buffer; retrying in 1s');
        await this.waitForWork(1000);
        continue;
      }
      if (!started) await this.waitForWork();
    }
  }

  private hasWork(): boolean {
    return this.queue ? this.readAhead.length > 0 || !this.queue.drained() : this.mem.length > 0;
  }

  /** Entries known to be waiting (memory) or a large number when the disk has unread data (unknown count). */
  private available(): number {
    if (this.queue) {
      if (!this.queue.drained()) return Number.MAX_SAFE_INTEGER;
      let n = 0;
      for (const r of this.readAhead) n += r.events;
      return n;
    }
    let n = 0;
    for (const m of this.mem) n += m.events;
    return n;
  }

  private takeMemory(): boolean {
    if (this.mem.length === 0) return false;
    const { maxEvents, maxBytes } = this.o.delivery.batch;
    const items: MemItem[] = [];
    let events = 0;
    let bytes = 0;
    while (this.mem.length > 0) {
      const next = this.mem[0] as MemItem;
      if (items.length > 0 && (events + next.events > maxEvents || bytes + next.bytes > maxBytes)) break;
      items.push(this.mem.shift() as MemItem);
      events += next.events;
      bytes += next.bytes;
    }
    this.memBytes -= bytes;
    this.gauges.bytes.set({ sink: this.o.id }, this.memBytes);
    for (const w of [...this.spaceWaiters]) {
      this.spaceWaiters.delete(w);
      w();
    }
    this.launch(mergeBatches(items.map((i) => i.batch)), () => {
      for (const i of items) i.resolve();
    }, (e) => {
      for (const i of items) i.reject(e);
    });
    return true;
  }

  /**
   * Batches this process appended to the disk buffer and has not read back yet, oldest first, with
   * their encoded bytes. A destination that keeps up reads each record right after writing it:
   * when the bytes read back equal the bytes written, the batch in memory is used instead of
   * decoding a copy (the disk still holds the record until it is acknowledged). Bounded, so a
   * backlog falls back to decoding.
   */
  private readonly written: Array<{ payload: Buffer; batch: LogBatch }> = [];
  private writtenBytes = 0;

  private remember(payload: Buffer, batch: LogBatch): void {
    this.written.push({ payload, batch });
    this.writtenBytes += payload.length;
    while (this.writtenBytes > WRITTEN_CACHE_BYTES && this.written.length > 0) this.writtenBytes -= (this.written.shift() as { payload: Buffer }).payload.length;
  }

  /** The batch whose encoding is `payload`, when it is among the first few remembered (dropping those before it). */
  private recall(payload: Buffer): LogBatch | undefined {
    const n = Math.min(this.written.length, 4);
    for (let i = 0; i < n; i++) {
      const w = this.written[i] as { payload: Buffer; batch: LogBatch };
      // The disk queue hands back the very Buffer appended while it keeps it; otherwise compare bytes.
      if (w.payload !== payload && (w.payload.length !== payload.length || !w.payload.equals(payload))) continue;
      for (const d of this.written.splice(0, i + 1)) this.writtenBytes -= d.payload.length;
      return w.batch;
    }
    return undefined;
  }

  /** Records read from the disk buffer but not yet in a request (read ahead in chunks). */
  private readAhead: Array<{ seq: number; batch: LogBatch; events: number }> = [];

  private async takeDisk(): Promise<boolean> {
    const q = this.queue as DiskQueue;
    const { maxEvents, maxBytes } = this.o.delivery.batch;
    if (this.readAhead.length === 0) {
      const records = await q.next(256, Math.max(64 * 1024, maxBytes));
      for (const r of records) {
        try {
          const b = this.recall(r.payload) ?? decodeBatch(r.payload);
          this.readAhead.push({ seq: r.seq, batch: b, events: batchSize(b) });
        } catch (e) {
          this.o.metrics.error('receiving');
          this.o.logger.error({ error: errorMessage(e) }, 'undecodable record in the disk buffer; skipped');
          q.ack(r.seq);
        }
      }
    }
    if (this.readAhead.length === 0) return false;
    // One request: records until it holds max_events (a record larger than that is sent whole).
    const batches: LogBatch[] = [];
    const seqs: number[] = [];
    let events = 0;
    while (this.readAhead.length > 0) {
      const next = this.readAhead[0] as { seq: number; batch: LogBatch; events: number };
      if (batches.length > 0 && events + next.events > maxEvents) break;
      this.readAhead.shift();
      batches.push(next.batch);
      seqs.push(next.seq);
      events += next.events;
    }
    this.launchDisk(q, batches, seqs);
    return true;
  }

  private launchDisk(q: DiskQueue, batches: LogBatch[], seqs: number[]): void {
    this.launch(mergeBatches(batches), () => {
      for (const s of seqs) q.ack(s);
      this.gauges.bytes.set({ sink: this.o.id }, q.usedBytes());
    }, (e: Error) => {
      // Not delivered (shutting down): the records stay in the buffer for the next start.
      if (!this.o.signal.aborted) this.o.logger.error({ error: errorMessage(e) }, 'delivery ended without a result; the records stay buffered');
    });
  }

  private launch(batch: LogBatch, ok: () => void, fail: (e: Error) => void): void {
    this.active++;
    this.gauges.inflight.set({ sink: this.o.id }, this.active);
    const inFlightAtSend = this.active;
    deliver(batch, {
      sinkId: this.o.id,
      sink: this.o.sink,
      metrics: this.o.metrics,
      logger: this.o.logger,
      deadLetterDir: this.o.deadLetterDir,
      signal: this.o.signal,
      ...(this.o.minBackoffMs !== undefined ? { minBackoffMs: this.o.minBackoffMs } : {}),
      ...(this.o.maxBackoffMs !== undefined ? { maxBackoffMs: this.o.maxBackoffMs } : {}),
      onAttempt: (success, rttMs) => {
        if (!this.adaptive) return;
        this.adaptive.observe(success, rttMs, inFlightAtSend);
        this.gauges.limit.set({ sink: this.o.id }, this.adaptive.limit);
      },
    }).then(ok, fail).finally(() => {
      this.active--;
      this.gauges.inflight.set({ sink: this.o.id }, this.active);
      this.wakeLoop?.();
      if (this.active === 0) for (const w of [...this.idleWaiters]) w();
    });
  }

  /**
   * Stops the drain loop. Memory batches still queued are rejected (their sources keep them
   * unacknowledged); in-flight deliveries end when the shared signal aborts. The disk buffer is
   * closed with its acknowledged position persisted.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeLoop?.();
    await this.loop;
    for (const m of this.mem.splice(0)) m.reject(new VigilError('UNAVAILABLE', `sink ${this.o.id} is stopping`));
    for (const w of [...this.spaceWaiters]) w();
    if (this.active > 0) await new Promise<void>((r) => this.idleWaiters.add(r));
    await this.queue?.close();
  }
}
