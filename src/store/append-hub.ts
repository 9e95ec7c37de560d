/**
 * Wraps a LogAppender and publishes every durably appended batch to live subscribers (tail). Who
 * calls: `vigil run` puts it in front of the store, so pushes and sources both reach live tails.
 * A subscriber that throws is dropped from nothing and affects no one else; appends never wait
 * for subscribers.
 */
import type { LogBatch } from '../core/events.js';
import type { AppendFeed, AppendResult, LogAppender } from './interfaces.js';

export class AppendHub implements LogAppender, AppendFeed {
  private readonly listeners = new Map<string, Set<(batch: LogBatch) => void>>();

  constructor(private readonly inner: LogAppender, private readonly onListenerError: (e: unknown) => void = () => {}) {}

  async append(tenant: string, batch: LogBatch): Promise<AppendResult> {
    const result = await this.inner.append(tenant, batch);
    const subs = this.listeners.get(tenant);
    if (subs && subs.size > 0 && result.accepted > 0) {
      // Streams refused whole are not stored, so they are not tailed either.
      const refused = new Set(result.rejected.filter((r) => r.count >= (batch.streams[r.stream]?.lines.length ?? 0)).map((r) => r.stream));
      const stored = refused.size === 0 ? batch : { streams: batch.streams.filter((_, i) => !refused.has(i)) };
      for (const l of subs) {
        try {
          l(stored);
        } catch (e) {
          this.onListenerError(e);
        }
      }
    }
    return result;
  }

  subscribe(tenant: string, listener: (batch: LogBatch) => void): () => void {
    let subs = this.listeners.get(tenant);
    if (!subs) this.listeners.set(tenant, (subs = new Set()));
    subs.add(listener);
    return () => {
      subs.delete(listener);
      if (subs.size === 0) this.listeners.delete(tenant);
    };
  }
}
