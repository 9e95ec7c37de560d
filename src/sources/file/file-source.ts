/**
 * The `file` source's engine: discovers files by glob, follows them through rotation and
 * truncation, reads in large chunks while up to MAX_IN_FLIGHT batches are being emitted, and
 * advances durable checkpoints only after downstream acknowledged a batch, strictly in batch order
 * (at-least-once delivery).
 */
import { stat } from 'node:fs/promises';
import type { SourceContext, Source } from '../../components/contract.js';
import { errorMessage } from '../../core/errors.js';
import type { StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { MultilineOptions } from '../../pipeline/multiline/aggregator.js';
import { CheckpointStore } from './checkpoints.js';
import { FileSet } from './file-set.js';
import { fingerprintOf, inodeKey, readPrefix } from './identity.js';
import type { FileEncoding, LongLineMode } from './line-splitter.js';
import { errCode, FileSourceMetrics } from './metrics.js';
import type { TailedFile } from './tailed-file.js';

/** The `file` source's config with durations and sizes resolved (see index.ts for the user docs). */
export interface FileSourceOptions {
  include: string[];
  exclude: string[];
  startAt: 'end' | 'beginning';
  labels: Labels;
  multiline: MultilineOptions | undefined;
  maxLineBytes: number;
  onLongLine: LongLineMode;
  encoding: FileEncoding;
  globIntervalMs: number;
  pollIntervalMs: number;
  fingerprintBytes: number;
  maxOpenFiles: number;
  batchMaxLines: number;
  batchMaxBytes: number;
  batchTimeoutMs: number;
  partialLineTimeout: Micros;
  /** How long a renamed-away or deleted file is still followed after its last write. */
  rotateWait: Micros;
  checkpointIntervalMs: number;
  readBufferBytes: number;
}

interface PendingBatch {
  streams: StreamBatch[];
  files: TailedFile[];
  lines: number;
  bytes: number;
  startedMs: number;
}

/**
 * Batches handed to `emit` and not yet settled. Two lets the next batch be read (and the store's
 * WAL write of one overlap the fsync of the other) while one waits for its fsync; more would only
 * add memory and re-reading after a crash.
 */
const MAX_IN_FLIGHT = 2;

const newBatch = (): PendingBatch => ({ streams: [], files: [], lines: 0, bytes: 0, startedMs: 0 });

/** Checkpoints of files not seen for this long are dropped (files gone for good). */
const STALE_CHECKPOINT_MS = 7 * 86_400_000;
const REFRESH_SEEN_MS = 3_600_000;

/**
 * Built by the `file` definition; a Service. `start` loads checkpoints, runs the first scan (files
 * present then honour `start_at`) and starts the loop; `stop` waits for the in-flight emit, saves
 * checkpoints and closes every handle. File errors are logged once per path, counted as
 * `receiving` errors, and never stop the source.
 */
export class FileSource implements Source {
  private readonly ctx: SourceContext;
  private readonly o: FileSourceOptions;
  private readonly checkpoints: CheckpointStore;
  private readonly set: FileSet;
  private readonly m: FileSourceMetrics;
  private readonly readBuf: Buffer;
  private batch: PendingBatch = newBatch();
  /** Settlement of each emitted batch, oldest first; each runs after the one before it. */
  private readonly inFlight: Array<Promise<void>> = [];
  private acking: Promise<void> = Promise.resolve();
  /** Set when an emit failed: later batches are not acknowledged, and the run loop rewinds. */
  private failed = false;
  /** Files whose unacknowledged data was dropped (failed or discarded batches). */
  private readonly toRewind = new Set<TailedFile>();
  private running = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private emitFailures = 0;
  private saving: Promise<void> = Promise.resolve();
  private rr = 0;

  constructor(ctx: SourceContext, options: FileSourceOptions) {
    this.ctx = ctx;
    this.o = options;
    this.checkpoints = new CheckpointStore(ctx.dataDir);
    this.readBuf = Buffer.allocUnsafe(options.readBufferBytes);
    this.m = new FileSourceMetrics(ctx.metrics.registry, ctx.id);
    this.set = new FileSet(ctx, options, this.checkpoints, this.m, { wake: () => this.wake(), isStopped: () => this.stopped });
  }

  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    const problem = this.checkpoints.load();
    if (problem) {
      this.ctx.logger.error({ error: problem }, 'file source checkpoints unreadable');
      this.ctx.metrics.error('receiving');
    }
    await this.set.scan();
    this.loop = this.run().catch((e: unknown) => {
      this.ctx.logger.error({ error: errorMessage(e) }, 'file source loop failed');
      this.ctx.metrics.error('receiving');
    });
    if (this.o.checkpointIntervalMs > 0) {
      this.checkpointTimer = setInterval(() => void this.saveCheckpoints(), this.o.checkpointIntervalMs);
      this.checkpointTimer.unref();
    }
    if (this.ctx.signal.aborted) void this.stop();
    else this.ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  async stop(): Promise<void> {
    if (this.stopped) {
      await this.loop;
      return;
    }
    this.stopped = true;
    this.wake();
    await this.loop;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    await this.saveCheckpoints();
    await this.set.closeAll();
    this.updateGauges();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => this.wake(), Math.max(1, ms));
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let nextScan = Date.now() + this.o.globIntervalMs;
    while (!this.stopped) {
      if (this.failed) {
        await this.recover();
        continue;
      }
      if (this.set.scanRequested || Date.now() >= nextScan) {
        this.set.scanRequested = false;
        await this.set.scan();
        nextScan = Date.now() + this.o.globIntervalMs;
      }
      const more = await this.pass();
      this.updateGauges();
      if (this.stopped) break;
      const b = this.batch;
      const full = this.batchFull();
      if (b.lines > 0 && (full || Date.now() - b.startedMs >= this.o.batchTimeoutMs)) {
        while (this.inFlight.length >= MAX_IN_FLIGHT && !this.failed) await this.inFlight[0];
        if (!this.failed) this.dispatch();
        continue;
      }
      if (more && !full) continue;
      let wait = Math.min(this.o.pollIntervalMs, Math.max(0, nextScan - Date.now()));
      if (b.lines > 0) wait = Math.min(wait, b.startedMs + this.o.batchTimeoutMs - Date.now());
      const now = this.ctx.now();
      for (const f of this.set.files.values()) {
        const due = f.dueAt(this.o.partialLineTimeout);
        if (due !== undefined) wait = Math.min(wait, Math.ceil((due - now) / 1000));
      }
      // A floor, so a due item a failing file cannot flush does not turn this into a busy loop.
      await this.sleep(Math.max(5, wait));
    }
    await this.acking;
  }

  private batchFull(): boolean {
    return this.batch.lines >= this.o.batchMaxLines || this.batch.bytes >= this.o.batchMaxBytes;
  }

  /** One round over all files; true when some file still has unread bytes. */
  private async pass(): Promise<boolean> {
    const list = [...this.set.files.values()];
    if (list.length === 0) return false;
    const start = this.rr++ % list.length;
    let more = false;
    for (let i = 0; i < list.length && !this.stopped; i++) {
      const f = list[(start + i) % list.length] as TailedFile;
      if (this.batchFull() || this.failed) return true;
      try {
        if (await this.service(f)) more = true;
      } catch (e) {
        // Keep the file and its checkpoint (releasing would make the next scan re-read it from 0);
        // a vanished file is read to its end through its handle, if it still has one.
        if (errCode(e) === 'ENOENT') f.markOrphan(this.ctx.now());
        else this.set.fileError(f.path, e);
      }
    }
    return more;
  }

  /** Reads what one file has; true when it has more than the batch could take. */
  private async service(f: TailedFile): Promise<boolean> {
    const now = this.ctx.now();
    if (!f.fh) {
      if (f.orphan) {
        // Renamed away or deleted while closed: its handle is gone, so is any unread tail.
        this.collectDue(f, now, true);
        if (!f.busy && !f.holding) await this.set.release(f);
        return false;
      }
      let st;
      try {
        st = await stat(f.path, { bigint: true });
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e;
        f.markOrphan(now);
        return false;
      }
      if (inodeKey(st) !== f.key) {
        f.markOrphan(now);
        this.set.scanRequested = true;
        return false;
      }
      f.size = Number(st.size);
      if (f.size === f.readPos) {
        this.collectDue(f, now, false);
        return false;
      }
      if (!(await this.set.reopen(f))) return true;
    }
    const fh = f.fh as NonNullable<typeof f.fh>;
    const size = (await fh.stat()).size;
    f.size = size;
    if (size < f.readPos) {
      if (f.busy) return true; // settle its batches first; the truncation is handled next round
      this.ctx.logger.warn({ path: f.path, size, offset: f.readPos }, 'file truncated; reading it again from the start');
      this.m.truncations.inc(this.m.l);
      f.rewind(0);
      f.fp = fingerprintOf(await readPrefix(fh, this.o.fingerprintBytes), this.o.fingerprintBytes);
      this.set.setCheckpoint(f);
    }
    if (f.fp.len < this.o.fingerprintBytes && size > f.fp.len) {
      f.fp = fingerprintOf(await readPrefix(fh, this.o.fingerprintBytes), this.o.fingerprintBytes);
      this.set.setCheckpoint(f);
    }
    this.add(f);
    while (f.readyCount === 0 && f.readPos < size && !this.batchFull() && !this.stopped) {
      const n = await f.readSome(this.readBuf, this.o.batchMaxBytes - this.batch.bytes, now, f.ready);
      if (n === 0) break;
      this.ctx.metrics.received(0, n);
      this.add(f);
    }
    const atEnd = f.readPos >= size;
    const done = atEnd && f.orphanDone(now, this.o.rotateWait);
    this.collectDue(f, now, done);
    if (done && !f.holding && !f.busy && f.acked >= f.readPos) await this.set.release(f);
    return !atEnd || f.readyCount > 0;
  }

  private collectDue(f: TailedFile, now: Micros, force: boolean): void {
    if (f.readyCount > 0) return; // what is ready goes first; due records follow next round
    f.flushDue(now, this.o.partialLineTimeout, force, f.ready);
    this.add(f);
  }

  /** Moves f's ready records into its stream of the unsent batch, as far as the batch limits allow. */
  private add(f: TailedFile): void {
    const cols = f.ready;
    const sp = f.splitter;
    if (sp.longLines > 0) {
      this.m.longLines.inc(this.m.l, sp.longLines);
      if (this.o.onLongLine === 'truncate') this.ctx.metrics.discarded('line_truncated', sp.longLines);
      sp.longLines = 0;
    }
    if (f.readyCount === 0 || this.batchFull()) return;
    let s = f.stream;
    if (!s) {
      s = { labels: f.labels, ts: [], lines: [] };
      f.stream = s;
      this.batch.streams.push(s);
      this.batch.files.push(f);
      if (this.batch.lines === 0) this.batch.startedMs = Date.now();
    }
    const ts = this.ctx.now();
    const b = this.batch;
    const room = this.o.batchMaxLines - b.lines;
    const from = f.readyHead;
    const to = from + Math.min(room, f.readyCount);
    let bytes = 0;
    let i = from;
    // Byte length by UTF-16 length: an estimate, cheap, and only used to size batches.
    for (; i < to && b.bytes + bytes < this.o.batchMaxBytes; i++) {
      const line = cols.lines[i] as string;
      s.lines.push(line);
      s.ts.push(ts);
      bytes += line.length;
    }
    const n = i - from;
    f.batchEnd = cols.ends[i - 1] as number;
    b.lines += n;
    b.bytes += bytes;
    f.take(n);
    this.ctx.metrics.received(n, 0);
  }

  /**
   * Hands the unsent batch to `emit` without waiting. Settlements are handled strictly in dispatch
   * order: a batch's files' checkpoints advance only once it and every batch before it were
   * acknowledged. After a failure, later batches are not acknowledged even if delivered (their
   * files are read again from the last acknowledged offset: duplicates, never loss).
   */
  private dispatch(): void {
    // Only what the acknowledgement needs is kept here, so the lines are free once emit is done with them.
    const { files, lines, bytes, streams } = this.batch;
    this.batch = newBatch();
    const ends = files.map((f) => f.batchEnd);
    for (const f of files) {
      f.stream = undefined;
      f.inflight++;
    }
    let emitted: Promise<void>;
    try {
      emitted = this.ctx.emit({ streams });
    } catch (e) {
      emitted = Promise.reject(e); // settled like any refusal: in order, then rewound
    }
    const sent = emitted.then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    const settled = this.acking
      .then(async () => {
        const r = await sent;
        this.inFlight.shift();
        for (const f of files) f.inflight--;
        if (r === undefined && !this.failed) {
          this.emitFailures = 0;
          this.ctx.metrics.sent(lines, bytes);
          for (let i = 0; i < files.length; i++) {
            const f = files[i] as TailedFile;
            f.acked = ends[i] as number;
            this.set.setCheckpoint(f);
          }
          if (this.o.checkpointIntervalMs === 0) await this.saveCheckpoints();
          else this.saveCheckpointsFast();
        } else {
          if (r !== undefined) {
            this.ctx.logger.warn({ error: errorMessage(r.error), lines }, 'downstream refused a batch; it will be read again');
            this.ctx.metrics.error('sending', lines);
          }
          this.failed = true;
          for (const f of files) this.toRewind.add(f);
        }
      })
      .catch((e: unknown) => {
        // Never leave the chain rejected (later settlements would not run): read again from the last acknowledged offsets.
        this.ctx.logger.error({ error: errorMessage(e) }, 'file source: acknowledging a batch failed; it will be read again');
        this.failed = true;
        for (const f of files) this.toRewind.add(f);
      })
      .finally(() => this.wake());
    this.acking = settled;
    this.inFlight.push(settled);
  }

  /** After a failed emit: waits for every batch in flight, drops the unsent one and rewinds. */
  private async recover(): Promise<void> {
    await this.acking;
    for (const f of this.batch.files) {
      f.stream = undefined;
      this.toRewind.add(f);
    }
    this.batch = newBatch();
    for (const f of this.toRewind) f.rewind();
    this.toRewind.clear();
    this.failed = false;
    this.emitFailures++;
    await this.sleep(Math.min(100 * 2 ** Math.min(this.emitFailures, 6), 5_000));
  }

  /**
   * After every acknowledged batch: a crash-safe (not power-loss-safe) save, so a kill -9 re-reads
   * at most the batches in flight. With many files the document is larger; then at most every 100 ms.
   */
  private saveCheckpointsFast(): void {
    const now = Date.now();
    if (this.checkpoints.size > 64 && now - this.lastFastSave < 100) return;
    this.lastFastSave = now;
    try {
      this.checkpoints.saveFast();
    } catch (e) {
      this.ctx.logger.error({ error: errorMessage(e), path: this.checkpoints.path }, 'cannot save file checkpoints');
      this.ctx.metrics.error('receiving');
    }
  }

  private lastFastSave = 0;

  /** Saves durably; calls are serialized (the interval timer and stop may overlap). */
  private saveCheckpoints(): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        const now = Date.now();
        for (const f of this.set.files.values()) {
          const cp = this.checkpoints.get(f.key);
          if (cp && now - cp.seenMs > REFRESH_SEEN_MS) this.set.setCheckpoint(f); // still followed: not stale
        }
        this.checkpoints.prune(now - STALE_CHECKPOINT_MS);
        await this.checkpoints.save();
      } catch (e) {
        this.ctx.logger.error({ error: errorMessage(e), path: this.checkpoints.path }, 'cannot save file checkpoints');
        this.ctx.metrics.error('receiving');
      }
    });
    return this.saving;
  }

  private updateGauges(): void {
    this.m.openFiles.set(this.m.l, this.set.openCount);
    this.m.watchedFiles.set(this.m.l, this.set.files.size);
    let lag = 0;
    for (const f of this.set.files.values()) lag += Math.max(0, f.size - f.acked);
    this.m.lagBytes.set(this.m.l, lag);
  }
}
