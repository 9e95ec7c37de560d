/**
 * `vigil run` with `remote_write:`: samples go to the embedded store and to every sender. The
 * store's result is the caller's answer; a sender that refuses or fails is its own business (it
 * counts and logs), so a dead remote end never fails a local append.
 */
import type { Logger } from 'pino';
import type { MetricsAppendResult, MetricsAppendSeries } from '../../store/metrics/index.js';
import type { SampleAppender } from '../appender.js';

export class FanoutAppender implements SampleAppender {
  /**
   * `primary` answers; `secondaries` (remote write senders) get the same series. Note that a sender
   * with `when_full: block` and a full buffer makes the append wait for it.
   */
  constructor(
    private readonly primary: SampleAppender,
    /** Senders, or a function returning the current ones (a reload may swap them). */
    private readonly secondaries: ReadonlyArray<SampleAppender> | (() => ReadonlyArray<SampleAppender>),
    private readonly logger?: Logger,
  ) {}

  /** Resolves when the store and every sender have the samples durably; rejects only when the store does. */
  async append(tenant: string, series: ReadonlyArray<MetricsAppendSeries>): Promise<MetricsAppendResult> {
    const senders = typeof this.secondaries === 'function' ? this.secondaries() : this.secondaries;
    const [first, ...rest] = await Promise.allSettled([this.primary.append(tenant, series), ...senders.map((s) => s.append(tenant, series))]);
    rest.forEach((r, i) => {
      if (r.status === 'rejected') this.logger?.warn({ sender: i, error: (r.reason as Error).message }, 'remote write: append to a sender failed');
    });
    if (first?.status === 'rejected') throw first.reason;
    return (first as PromiseFulfilledResult<MetricsAppendResult>).value;
  }
}
