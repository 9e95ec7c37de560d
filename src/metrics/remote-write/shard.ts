/**
 * One shard of the sender: a FIFO of series slices sent as requests of up to max_samples_per_send
 * samples, one request in flight at a time, retried with exponential backoff until delivered or
 * refused. Since a series always hashes to the same shard, its samples reach the remote end in
 * the order they were appended.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { snappyCompress } from '../../server/loki/snappy-codec.js';
import { encodeWriteRequest, sampleTime, type RecordSeries, type SeriesSlice } from './codec.js';
import type { ResolvedRemoteWriteConfig } from './config.js';
import { sendWriteRequest } from './client.js';
import type { SenderMetrics } from './metrics.js';

/** Counts the samples of one buffer record still to be delivered; the record is acknowledged at zero. */
export interface RecordTracker {
  pending: number;
  done(samples: number): void;
}

/** A queued run of samples of one series. */
export interface QueuedSlice {
  tenant: string;
  s: RecordSeries;
  from: number;
  to: number;
  tracker: RecordTracker;
}

export interface ShardContext {
  cfg: ResolvedRemoteWriteConfig;
  metrics: SenderMetrics;
  labels: { remote_name: string; url: string };
  logger: Logger;
  dispatcher: Dispatcher | undefined;
  /** Aborted when stop's grace period ends: in-flight requests are abandoned (they stay buffered). */
  signal: AbortSignal;
  /** Aborted as soon as stop begins: backoff sleeps end. */
  stopSignal: AbortSignal;
  /** True once stop began: no new request is started, no retry made. */
  stopping(): boolean;
  /** A request failed recoverably (the sender holds back resharding while the remote end is down). */
  onRecoverableError(): void;
  /** The highest timestamp (ms) delivered so far, across shards. */
  highestSent(): number;
  /** Records a delivered timestamp; returns the new highest. */
  noteSent(t: number): number;
  /** A request finished (delivered or refused): samples sent, seconds it took. */
  onSent(samples: number, seconds: number): void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Shard {
  private items: QueuedSlice[] = [];
  private head = 0;
  /** Samples queued and not yet taken into a request. */
  queued = 0;
  private firstAt = 0;
  private retired = false;
  private wakeUp: (() => void) | undefined;
  readonly loop: Promise<void>;

  constructor(private readonly ctx: ShardContext) {
    this.loop = this.run();
  }

  /** Queues samples `[from, to)` of a record series. */
  push(item: QueuedSlice): void {
    const { from, to } = item;
    const wasEmpty = this.queued === 0;
    if (wasEmpty) this.firstAt = Date.now();
    this.items.push(item);
    this.queued += to - from;
    // An idle loop must start the batch_send_deadline clock; a full batch goes at once.
    if (wasEmpty || this.queued >= this.ctx.cfg.queue.maxSamplesPerSend) this.wake();
  }

  /**
   * Removes and returns what is queued but not yet in a request, in order, and ends the loop once
   * the request in flight (if any) is done: resharding moves these to the new shards.
   */
  takeQueued(): QueuedSlice[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.queued = 0;
    this.retired = true;
    this.wake();
    return rest;
  }

  /** After `takeQueued` (or stop): resolves once the request in flight, if any, is done. */
  async settled(): Promise<void> {
    await this.loop;
  }

  /** Wakes the loop (new work, resharding, or stop). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const t = ms !== undefined ? setTimeout(() => this.wake(), ms) : undefined;
      this.wakeUp = () => {
        if (t) clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const max = this.ctx.cfg.queue.maxSamplesPerSend;
    while (!this.ctx.stopping()) {
      if (this.queued === 0 && this.retired) return;
      if (this.queued === 0) {
        await this.wait();
        continue;
      }
      if (this.queued < max) {
        const left = this.firstAt + this.ctx.cfg.queue.batchSendDeadlineMs - Date.now();
        if (left > 0) {
          await this.wait(left);
          continue;
        }
      }
      await this.sendBatch(this.take(max));
      if (this.queued > 0) this.firstAt = Date.now();
    }
  }

  /** Takes up to `max` samples of one tenant from the front, splitting a slice at the limit. */
  private take(max: number): { tenant: string; items: QueuedSlice[]; samples: number } {
    const first = this.items[this.head] as QueuedSlice;
    const out: QueuedSlice[] = [];
    let samples = 0;
    while (this.head < this.items.length && samples < max) {
      const it = this.items[this.head] as QueuedSlice;
      if (it.tenant !== first.tenant) break;
      const n = Math.min(it.to - it.from, max - samples);
      out.push({ ...it, to: it.from + n });
      samples += n;
      if (it.from + n === it.to) this.head++;
      else it.from += n;
    }
    this.queued -= samples;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { tenant: first.tenant, items: out, samples };
  }

  private async sendBatch(batch: { tenant: string; items: QueuedSlice[]; samples: number }): Promise<void> {
    const { cfg, metrics, labels, logger } = this.ctx;
    const slices: SeriesSlice[] = batch.items.map((i) => ({ s: i.s, from: i.from, to: i.to }));
    let body: Buffer;
    try {
      body = await snappyCompress(encodeWriteRequest(slices));
    } catch (e) {
      // Cannot happen with records this sender wrote; if it does, retrying would fail the same way.
      metrics.failed.inc(labels, batch.samples);
      logger.error({ samples: batch.samples, error: (e as Error).message }, 'remote write: cannot encode a batch; dropped');
      this.complete(batch.items, batch.samples, 0);
      return;
    }
    let backoff = cfg.queue.minBackoffMs;
    let attempt = 0;
    for (;;) {
      if (attempt > 0 && this.ctx.stopping()) return; // stays in the disk buffer for the next start
      const started = performance.now();
      const outcome = await sendWriteRequest(cfg, body, batch.tenant, this.ctx.dispatcher, this.ctx.signal);
      const seconds = (performance.now() - started) / 1000;
      metrics.batchDuration.observe(labels, seconds);
      if (outcome.kind === 'ok') {
        metrics.samples.inc(labels, batch.samples);
        metrics.sentBytes.inc(labels, body.length);
        let highest = -Infinity;
        for (const i of batch.items) if (i.to > i.from) highest = Math.max(highest, sampleTime(i.s, i.to - 1));
        if (highest > this.ctx.highestSent()) metrics.highestSentTimestamp.set(labels, this.ctx.noteSent(highest) / 1000);
        this.complete(batch.items, batch.samples, seconds);
        return;
      }
      if (outcome.kind === 'fail') {
        metrics.failed.inc(labels, batch.samples);
        logger.error({ status: outcome.status, samples: batch.samples, error: outcome.message }, 'remote write: non-recoverable error; batch dropped');
        this.complete(batch.items, batch.samples, seconds);
        return;
      }
      if (this.ctx.stopping()) return;
      this.ctx.onRecoverableError();
      metrics.retried.inc(labels, batch.samples);
      const delay = outcome.retryAfterMs ?? backoff;
      logger.warn({ samples: batch.samples, error: outcome.message, retry_in_ms: delay, attempt: attempt + 1 }, outcome.retryAfterMs !== undefined ? 'remote write: recoverable error; retrying after the duration in Retry-After' : 'remote write: recoverable error; retrying');
      await sleep(delay, this.ctx.stopSignal);
      backoff = Math.min(Math.max(delay, cfg.queue.minBackoffMs) * 2, cfg.queue.maxBackoffMs);
      attempt++;
    }
  }

  private complete(items: QueuedSlice[], samples: number, seconds: number): void {
    for (const i of items) i.tracker.done(i.to - i.from);
    this.ctx.onSent(samples, seconds);
  }
}
