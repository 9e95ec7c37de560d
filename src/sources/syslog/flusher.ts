/**
 * Sends what a BatchBuilder collected downstream by count, bytes or time, with at most one emit in
 * flight. Input keeps being parsed into the next batch while an emit is pending (so parsing
 * overlaps the sink's write and fsync); only when that next batch is full too is the owner told to
 * hold its input (`busy`). TCP pauses the socket, since syslog over TCP has no application
 * acknowledgement to slow the sender otherwise.
 */
import type { SourceContext } from '../../components/contract.js';
import { BatchBuilder } from './batch-builder.js';
import type { SyslogMessage } from './parse.js';

export interface FlushLimits {
  maxLines: number;
  maxBytes: number;
  timeoutMs: number;
}

export interface FlushHooks {
  /** A full batch waits behind the pending emit: stop taking input if possible. */
  busy(): void;
  /** The waiting batch went out: take input again. */
  idle(): void;
}

export class Flusher {
  readonly builder: BatchBuilder;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** `busy` was signalled and `idle` is still owed. */
  private held = false;

  constructor(
    private readonly ctx: SourceContext,
    staticLabels: Record<string, string>,
    private readonly limits: FlushLimits,
    private readonly hooks: FlushHooks,
  ) {
    this.builder = new BatchBuilder(staticLabels);
  }

  /** True while a batch is being emitted. */
  get pending(): boolean {
    return this.inflight !== undefined;
  }

  /** Adds a message and sends the batch once it is full. */
  add(m: SyslogMessage, sourceIp: string): void {
    this.builder.add(m, sourceIp);
    const b = this.builder;
    if (b.count >= this.limits.maxLines || b.bytes >= this.limits.maxBytes) {
      if (!this.inflight) this.flush();
      else if (!this.held) {
        this.held = true;
        this.hooks.busy();
      }
    } else if (this.timer === undefined && b.count === 1) this.timer = setTimeout(() => this.flush(), this.limits.timeoutMs);
  }

  /** Sends what is collected now unless an emit is already pending (it is sent right after). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inflight || this.builder.count === 0) return;
    const n = this.builder.count;
    const bytes = this.builder.bytes;
    const batch = this.builder.take();
    this.inflight = this.ctx.emit(batch).then(
      () => this.ctx.metrics.sent(n, bytes),
      (err: unknown) => {
        // Syslog cannot ask its sender to resend: what the pipeline refused is lost; say so loudly.
        this.ctx.metrics.error('processing', n);
        this.ctx.metrics.discarded('emit_failed', n);
        this.ctx.logger.warn({ error: err instanceof Error ? err.message : String(err), entries: n }, 'syslog batch not taken downstream');
      },
    ).finally(() => {
      this.inflight = undefined;
      const b = this.builder;
      // What arrived while the emit was pending goes out at once: it has already waited.
      if (b.count > 0) this.flush();
      if (this.held) {
        this.held = false;
        this.hooks.idle();
      }
    });
  }

  /** Sends everything collected and resolves when no emit is pending. */
  async drain(): Promise<void> {
    for (;;) {
      this.flush();
      const p = this.inflight;
      if (!p) return;
      await p;
    }
  }

  /** Stops the timer (after drain, on close). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
