/**
 * Probe results as metric samples with blackbox_exporter's names, labelled so that blackbox-style
 * dashboards work: `job="monitors"`, `instance="<target>"`, `monitor="<name>"`, `type="<type>"`
 * plus the monitor's own labels. Samples are batched and appended every flush (one durable append
 * per second, not one per run).
 */
import type { Logger } from 'pino';
import type { Labels } from '../core/labels.js';
import { errorMessage } from '../core/errors.js';
import type { SampleAppender } from '../metrics/appender.js';
import { DEFAULT_TENANT } from '../store/interfaces.js';
import type { MetricsAppendSeries } from '../store/metrics/index.js';
import type { ProbeOutcome } from './probe.js';

/** Option keys that name a probe's target, in the order they are preferred for `instance`. */
const TARGET_KEYS = ['url', 'target', 'host', 'address', 'hostname', 'server'];

/**
 * The `instance` label of a monitor: its target (url, host:port, …) when its options name one,
 * else this host (command, process and heartbeat monitors check the machine Vigil runs on).
 */
export function instanceOf(options: Record<string, unknown> | undefined, hostname: string): string {
  if (options) {
    for (const k of TARGET_KEYS) {
      const v = options[k];
      if (typeof v === 'string' && v !== '') {
        const port = options['port'];
        return typeof port === 'number' && !v.includes(':') ? `${v}:${port}` : v;
      }
    }
  }
  return hostname;
}

/** Base labels of every sample of one monitor. */
export function monitorLabels(name: string, type: string, instance: string, extra: Labels): Labels {
  return { job: 'monitors', instance, ...extra, monitor: name, type };
}

/**
 * The series of one run: probe_success, probe_duration_seconds, every sample of the outcome and,
 * when given, `vigil_monitor_up` (the state after `retries`, which probe_success alone does not
 * show; 0 when DOWN), so alert rules over the store can follow the monitor's verdict.
 */
export function runSeries(base: Labels, outcome: ProbeOutcome, tMs: number, up?: number): MetricsAppendSeries[] {
  const one = (name: string, v: number, extra?: Labels): MetricsAppendSeries => ({ labels: { ...base, ...extra, __name__: name }, t: [tMs], v: [v] });
  const out = [one('probe_success', outcome.success ? 1 : 0), one('probe_duration_seconds', outcome.durationSeconds)];
  for (const s of outcome.samples) out.push(one(s.name, s.value, s.labels));
  if (up !== undefined) out.push(one('vigil_monitor_up', up));
  return out;
}

/** Buffers series and appends them in one call per flush; failures are logged and counted, never thrown. */
export class SampleBatcher {
  private buf: MetricsAppendSeries[] = [];
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly appender: SampleAppender,
    private readonly logger: Logger,
    private readonly onError: (n: number) => void,
    private readonly maxBuffered = 100_000,
  ) {}

  add(series: MetricsAppendSeries[]): void {
    if (this.buf.length + series.length > this.maxBuffered) {
      // The sink is far behind: drop the newest rather than grow without bound.
      this.onError(series.length);
      return;
    }
    for (const s of series) this.buf.push(s);
  }

  /** Appends what is buffered; resolves when the append (and every earlier one) settled. */
  flush(): Promise<void> {
    if (this.buf.length === 0) return this.inflight;
    const batch = this.buf;
    this.buf = [];
    this.inflight = this.inflight.then(async () => {
      try {
        const r = await this.appender.append(DEFAULT_TENANT, batch);
        const refused = r.rejected.reduce((n, x) => n + x.count, 0);
        if (refused > 0) {
          this.onError(refused);
          this.logger.warn({ refused, reason: r.rejected[0]?.reason }, 'monitor samples refused by the metrics store');
        }
      } catch (e) {
        this.onError(batch.length);
        this.logger.warn({ error: errorMessage(e), series: batch.length }, 'cannot append monitor samples');
      }
    });
    return this.inflight;
  }
}
