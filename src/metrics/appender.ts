/**
 * Where metric samples produced inside Vigil (probes, scrapes, host metrics) go: the embedded
 * metrics store in `vigil run`, a remote-write sender in `vigil agent`. `MetricsStore` satisfies it.
 */
import type { MetricsAppendResult, MetricsAppendSeries } from '../store/metrics/index.js';

export interface SampleAppender {
  /**
   * Appends samples (labels include `__name__`; `t` in integer ms). Resolves once the accepted
   * samples are durable (store WAL or disk buffer); per-series refusals are in the result. Rejects
   * only when nothing could be taken (stopped, disk failure).
   */
  append(tenant: string, series: ReadonlyArray<MetricsAppendSeries>): Promise<MetricsAppendResult>;
}
