/**
 * Turns the byte chunks of one or more named output streams (a child's stdout/stderr, our stdin)
 * into batches of lines and emits them one at a time. While an emit is pending the readers are
 * paused (`io.pause`), so a slow pipeline slows the producer down instead of growing memory.
 * Used by the `exec` and `stdin` sources.
 */
import type { SourceContext } from '../../components/contract.js';
import type { LogBatch, StreamBatch } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import { LineSplitter } from '../file/line-splitter.js';

export interface LineBatcherOptions {
  /** Most lines in one emitted batch; reaching it emits at once. */
  maxLines: number;
  /** Longest an incomplete batch waits before it is emitted. */
  timeoutMs: number;
  /** Longer lines keep their first bytes and the rest is dropped (counted `line_truncated`). */
  maxLineBytes: number;
  /** Stream labels of the lines read from the output named `stream`. */
  labelsFor(stream: string): Labels;
}

export interface ReaderControl {
  pause(): void;
  resume(): void;
}

interface Column {
  labels: Labels;
  ts: number[];
  lines: string[];
}

export class LineBatcher {
  private readonly splitters = new Map<string, LineSplitter>();
  private columns = new Map<string, Column>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly scratch = { lines: [] as string[], ends: [] as number[] };

  constructor(private readonly ctx: SourceContext, private readonly opts: LineBatcherOptions, private readonly io: ReaderControl) {}

  /** Lines buffered and not yet handed to an emit. */
  get buffered(): number {
    return this.count;
  }

  /** Feeds a chunk read from output `stream`. */
  push(stream: string, chunk: Buffer): void {
    let sp = this.splitters.get(stream);
    if (!sp) {
      sp = new LineSplitter({ maxLineBytes: this.opts.maxLineBytes, onLongLine: 'truncate', encoding: 'utf8' });
      this.splitters.set(stream, sp);
    }
    sp.push(chunk, 0, this.scratch);
    this.ctx.metrics.received(this.scratch.lines.length, chunk.length);
    this.take(stream, sp);
  }

  /** Output `stream` ended: its unterminated last line becomes a line of its own. */
  endStream(stream: string): void {
    const sp = this.splitters.get(stream);
    if (!sp) return;
    sp.flushPartial(this.scratch);
    this.take(stream, sp);
    this.splitters.delete(stream);
  }

  private take(stream: string, sp: LineSplitter): void {
    const lines = this.scratch.lines;
    if (sp.longLines > 0) {
      this.ctx.metrics.discarded('line_truncated', sp.longLines);
      sp.longLines = 0;
      sp.truncatedBytes = 0;
    }
    if (lines.length === 0) return;
    let col = this.columns.get(stream);
    if (!col) {
      col = { labels: this.opts.labelsFor(stream), ts: [], lines: [] };
      this.columns.set(stream, col);
    }
    const now = this.ctx.now();
    for (const l of lines) {
      col.lines.push(l);
      col.ts.push(now);
    }
    this.count += lines.length;
    lines.length = 0;
    this.scratch.ends.length = 0;
    if (this.count >= this.opts.maxLines) this.kick();
    else this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.opts.timeoutMs);
  }

  /** Emits what is buffered unless an emit is pending (it re-checks when that settles). */
  private kick(): void {
    if (this.inFlight || this.count === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const streams: StreamBatch[] = [];
    let bytes = 0;
    // A single chunk can hold more lines than a batch may: the rest waits for the next emit.
    let room = this.opts.maxLines;
    for (const [key, c] of this.columns) {
      if (room === 0) break;
      let s: StreamBatch;
      if (c.lines.length <= room) {
        s = { labels: c.labels, ts: c.ts, lines: c.lines };
        this.columns.delete(key);
      } else {
        s = { labels: c.labels, ts: c.ts.splice(0, room), lines: c.lines.splice(0, room) };
      }
      for (const l of s.lines) bytes += l.length;
      room -= s.lines.length;
      streams.push(s);
    }
    const batch: LogBatch = { streams };
    const n = this.opts.maxLines - room;
    this.count -= n;
    this.io.pause();
    this.inFlight = this.ctx.emit(batch).then(
      () => this.ctx.metrics.sent(n, bytes),
      (err: unknown) => {
        // Nothing upstream can replay a child's output: the lines are lost, counted and logged.
        this.ctx.metrics.error('sending', n);
        this.ctx.logger.warn({ err: errorMessage(err), lines: n }, 'emit failed; lines dropped');
      },
    ).finally(() => {
      this.inFlight = undefined;
      this.io.resume();
      if (this.count >= this.opts.maxLines) this.kick();
      else if (this.count > 0) this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.opts.timeoutMs);
    });
  }

  /** Emits everything buffered and resolves once no emit is pending. */
  async drain(): Promise<void> {
    for (;;) {
      if (!this.inFlight) this.kick();
      const p = this.inFlight;
      if (!p) return;
      await p;
    }
  }

  /** Stops the batch timer (the owner drains or abandons what is left). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
