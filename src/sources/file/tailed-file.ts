/**
 * One file the `file` source follows: its identity, open handle, read position, acknowledged
 * position, and the line/multiline state between the two. Reading is pull-based (the source asks
 * for at most N bytes), which is what bounds memory and gives backpressure.
 */
import type { FileHandle } from 'node:fs/promises';
import type { StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import { MultilineAggregator, type LineColumns, type MultilineOptions } from '../../pipeline/multiline/aggregator.js';
import type { Fingerprint } from './identity.js';
import { LineSplitter, type LineSplitterOptions } from './line-splitter.js';

export interface TailedFileInit {
  /** The path the file was discovered at: its `filename` label for life, even after a rename. */
  label: string;
  key: string;
  fp: Fingerprint;
  offset: number;
  size: number;
  labels: Labels;
  now: Micros;
}

/**
 * Owned by FileSource. Invariant: `acked ≤ readPos`; every byte in [acked, readPos) is either in
 * the source's unsent or in-flight batches, held by the splitter / aggregator, or both — so `rewind()` to `acked`
 * re-reads exactly what downstream has not confirmed.
 */
export class TailedFile {
  readonly label: string;
  readonly labels: Labels;
  /** Current path (changes when a rotated file is found again under its new name). */
  path: string;
  readonly key: string;
  fp: Fingerprint;
  fh: FileHandle | undefined;
  readPos: number;
  acked: number;
  /** Size at the last stat. */
  size: number;
  /** No scanned path refers to this file any more (renamed away or deleted): read to the end, then release. */
  orphan = false;
  /** When the file became an orphan (the rotate-wait grace period counts from the later of this and the last data). */
  orphanedAt: Micros = 0;
  /** Last time bytes were read (idle detection, partial-line timeout, LRU closing). */
  lastDataAt: Micros;
  /** This file's stream in the source's unsent batch, and the end offset of its last entry there. */
  stream: StreamBatch | undefined;
  batchEnd = 0;
  /** Emitted batches with entries of this file that are not settled yet. */
  inflight = 0;
  readonly splitter: LineSplitter;
  readonly ml: MultilineAggregator | undefined;
  /** Complete records read but not yet moved into a batch (the batch was full); taken from `readyHead` on. */
  readonly ready: LineColumns = { lines: [], ends: [] };
  readyHead = 0;
  private readonly scratch: LineColumns = { lines: [], ends: [] };

  constructor(init: TailedFileInit, split: LineSplitterOptions, multiline: MultilineOptions | undefined) {
    this.label = init.label;
    this.path = init.label;
    this.key = init.key;
    this.fp = init.fp;
    this.readPos = init.offset;
    this.acked = init.offset;
    this.size = init.size;
    this.labels = init.labels;
    this.lastDataAt = init.now;
    this.splitter = new LineSplitter(split);
    this.ml = multiline ? new MultilineAggregator(multiline) : undefined;
  }

  /** Marks the file as no longer reachable by any scanned path. */
  markOrphan(now: Micros): void {
    if (this.orphan) return;
    this.orphan = true;
    this.orphanedAt = now;
  }

  /** True when an orphan has been quiet for `wait`: it is done and may be released. */
  orphanDone(now: Micros, wait: Micros): boolean {
    return this.orphan && now - Math.max(this.lastDataAt, this.orphanedAt) >= wait;
  }

  /** Entries of this file are in the unsent batch or in a batch not yet acknowledged. */
  get busy(): boolean {
    return this.stream !== undefined || this.inflight > 0;
  }

  /** Bytes or lines held in memory that are not complete records yet. */
  get holding(): boolean {
    return this.splitter.partialBytes > 0 || (this.ml?.heldLines ?? 0) > 0 || this.readyCount > 0;
  }

  /** Records in `ready` not yet taken. */
  get readyCount(): number {
    return this.ready.lines.length - this.readyHead;
  }

  /** Marks `n` ready records as taken, compacting when all are. */
  take(n: number): void {
    this.readyHead += n;
    if (this.readyHead >= this.ready.lines.length) {
      this.ready.lines.length = 0;
      this.ready.ends.length = 0;
      this.readyHead = 0;
    }
  }

  /**
   * Reads once at `readPos` (at most `maxBytes`, into the caller's reusable `buf`) and appends the
   * complete records found to `out`. Returns the bytes read (0 at end of file). Throws on I/O errors.
   */
  async readSome(buf: Buffer, maxBytes: number, now: Micros, out: LineColumns): Promise<number> {
    const fh = this.fh;
    if (!fh) return 0;
    const want = Math.min(buf.length, Math.max(1, maxBytes));
    const { bytesRead } = await fh.read(buf, 0, want, this.readPos);
    if (bytesRead === 0) return 0;
    const target = this.ml ? this.scratch : out;
    this.splitter.push(buf.subarray(0, bytesRead), this.readPos, target);
    this.readPos += bytesRead;
    this.lastDataAt = now;
    if (this.ml) this.drainScratch(now, out);
    return bytesRead;
  }

  /**
   * Completes what waited too long: an incomplete last line after `partialTimeout` without new
   * bytes, and a multiline record after its own timeout. `force` completes everything (the file
   * will not grow: it was rotated away or deleted and is at its end).
   */
  flushDue(now: Micros, partialTimeout: Micros, force: boolean, out: LineColumns): void {
    if (this.splitter.partialBytes > 0 && (force || now - this.lastDataAt >= partialTimeout)) {
      const target = this.ml ? this.scratch : out;
      this.splitter.flushPartial(target);
      if (this.ml) this.drainScratch(now, out);
    }
    if (this.ml) {
      if (force) this.ml.flush(out);
      else this.ml.flushIfIdle(now, out);
    }
  }

  /** When something held becomes due, or undefined. */
  dueAt(partialTimeout: Micros): Micros | undefined {
    let due: Micros | undefined;
    if (this.splitter.partialBytes > 0) due = this.lastDataAt + partialTimeout;
    const m = this.ml?.dueAt();
    if (m !== undefined && (due === undefined || m < due)) due = m;
    return due;
  }

  /** Forgets everything after `acked` (downstream refused it, or the file was truncated). */
  rewind(to = this.acked): void {
    this.acked = Math.min(this.acked, to);
    this.readPos = to;
    this.splitter.reset();
    this.ml?.reset();
    this.take(this.readyCount);
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  private drainScratch(now: Micros, out: LineColumns): void {
    const s = this.scratch;
    if (s.lines.length === 0) return;
    (this.ml as MultilineAggregator).push(s.lines, s.ends, now, out);
    s.lines.length = 0;
    s.ends.length = 0;
  }
}
