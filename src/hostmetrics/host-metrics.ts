/**
 * HostMetrics: runs the node_exporter-compatible collectors every `interval` and appends the
 * samples (job="node", instance=<hostname>) to a SampleAppender; also answers on demand with
 * `collect()` and `renderText()`. Started by `vigil run` and `vigil agent` when
 * `host_metrics.enabled` is true.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { streamKey, type Labels } from '../core/labels.js';
import { goRegExp } from '../core/regex.js';
import type { Service } from '../core/service.js';
import { parseDuration } from '../core/time.js';
import type { SampleAppender } from '../metrics/appender.js';
import { STALE_NAN } from '../query/promql/storage.js';
import { DEFAULT_TENANT } from '../store/interfaces.js';
import type { MetricsAppendSeries } from '../store/metrics/index.js';
import { buildCollectors, type CollectorName } from './collectors/index.js';
import { defaultStatfs, makeContext } from './context.js';
import type { HostMetricsConfig } from './schema.js';
import { formatText } from './text-format.js';
import { alignedScrapeTime } from '../metrics/aligned-time.js';
import { NoDataError, family, type Collector, type MetricFamily, type StatfsResult } from './types.js';

export interface HostMetricsOptions {
  /** A validated `host_metrics` section (schema defaults applied). */
  config: HostMetricsConfig;
  appender: SampleAppender;
  logger: Logger;
  /** The `instance` label unless `config.labels.instance` overrides it. */
  hostname: string;
  /** Where `vigil_host_metrics_*` self-metrics register (a private registry when absent). */
  registry?: Registry;
  /** Tenant the samples go to (default DEFAULT_TENANT). */
  tenant?: string;
  /** statfs used by the filesystem collector (tests inject one; default: the real statfs under root_path). */
  statfs?: (mountPoint: string) => Promise<StatfsResult>;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

interface Resolved {
  intervalMs: number;
  root: string;
  collectors: Collector[];
  labels: Labels;
  statfs: (mp: string) => Promise<StatfsResult>;
}

interface SelfMetrics {
  collections: Counter<string>;
  failures: Counter<string>;
  appendFailures: Counter<string>;
  duration: Gauge<string>;
}

function selfMetrics(registry: Registry): SelfMetrics {
  // Reuse families already registered (a reload or a second instance on the same registry).
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    collections: get('vigil_host_metrics_collections_total', () => new Counter({ name: 'vigil_host_metrics_collections_total', help: 'Host metric collections run.', registers: [registry] })),
    failures: get('vigil_host_metrics_collector_failures_total', () => new Counter({ name: 'vigil_host_metrics_collector_failures_total', help: 'Collector runs that failed, by collector.', labelNames: ['collector'], registers: [registry] })),
    appendFailures: get('vigil_host_metrics_append_failures_total', () => new Counter({ name: 'vigil_host_metrics_append_failures_total', help: 'Collections whose samples the appender refused.', registers: [registry] })),
    duration: get('vigil_host_metrics_collection_duration_seconds', () => new Gauge({ name: 'vigil_host_metrics_collection_duration_seconds', help: 'Duration of the last host metric collection.', registers: [registry] })),
  };
}

/** Compiles a config into collectors; throws (naming the key) on a bad regex or duration. */
function resolve(config: HostMetricsConfig, hostname: string, statfs: HostMetricsOptions['statfs']): Resolved {
  const re = (s: string, key: string) => {
    try {
      return goRegExp(s);
    } catch (e) {
      throw new Error(`host_metrics.${key}: invalid regex: ${(e as Error).message}`);
    }
  };
  const intervalUs = parseDuration(config.interval);
  if (intervalUs === undefined || intervalUs <= 0) throw new Error(`host_metrics.interval: must be a positive duration, got ${JSON.stringify(config.interval)}`);
  const timeoutUs = parseDuration(config.filesystem.statfs_timeout);
  if (timeoutUs === undefined || timeoutUs <= 0) throw new Error(`host_metrics.filesystem.statfs_timeout: must be a positive duration`);
  const collectors = buildCollectors(config.collectors as CollectorName[], {
    filesystem: {
      mountPointsExclude: re(config.filesystem.mount_points_exclude, 'filesystem.mount_points_exclude'),
      fsTypesExclude: re(config.filesystem.fs_types_exclude, 'filesystem.fs_types_exclude'),
      statfsTimeoutMs: timeoutUs / 1000,
    },
    diskDeviceExclude: re(config.diskstats.device_exclude, 'diskstats.device_exclude'),
    netDeviceExclude: config.netdev.device_exclude === '' ? undefined : re(config.netdev.device_exclude, 'netdev.device_exclude'),
    netclassDeviceExclude: config.netclass.device_exclude === '' ? undefined : re(config.netclass.device_exclude, 'netclass.device_exclude'),
  });
  return {
    intervalMs: intervalUs / 1000,
    root: config.root_path,
    collectors,
    labels: { job: 'node', instance: hostname, ...config.labels },
    statfs: statfs ?? defaultStatfs(config.root_path),
  };
}

export class HostMetrics implements Service<HostMetricsConfig> {
  private cfg: Resolved;
  private readonly opts: HostMetricsOptions;
  private readonly self: SelfMetrics;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Series appended last time, to mark the vanished ones stale (an unmounted disk, a removed NIC). */
  private lastSeries = new Map<string, Labels>();
  /** Collectors currently failing, so a failure is logged when it starts and when it ends, not every interval. */
  private readonly failing = new Set<string>();

  /** Throws (naming the config key) when a regex or duration of `config` is invalid. */
  constructor(opts: HostMetricsOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.cfg = resolve(opts.config, opts.hostname, opts.statfs);
    this.self = selfMetrics(opts.registry ?? new Registry());
  }

  /** The time the current or next collection is scheduled for (ms). */
  private due: number | undefined;

  /**
   * Collects once right away, then every interval on a fixed schedule (not interval after the end
   * of the last collection, which drifts by the collection time); collections never overlap.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.due = this.now();
    this.tick();
  }

  /** Swaps collectors, labels and interval; throws and keeps the old ones when `config` is invalid. */
  async reload(config: HostMetricsConfig): Promise<void> {
    this.cfg = resolve(config, this.opts.hostname, this.opts.statfs);
    // A collection in flight schedules the next one itself when it ends (with the new interval).
    if (!this.stopped && !this.running) {
      this.due = this.now();
      this.schedule();
    }
  }

  /** Idempotent; resolves once an in-flight collection and its append have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Runs every configured collector once and returns their families plus node_exporter's
   * node_scrape_collector_{success,duration_seconds}{collector}. Never rejects: a collector that
   * fails reports success 0 and is counted in vigil_host_metrics_collector_failures_total.
   * Sample labels are the collectors' own (no job/instance).
   */
  async collect(): Promise<MetricFamily[]> {
    const cfg = this.cfg;
    const ctx = makeContext(cfg.root, this.now(), cfg.statfs);
    const success = family('node_scrape_collector_success', 'gauge', 'node_exporter: Whether a collector succeeded.');
    const duration = family('node_scrape_collector_duration_seconds', 'gauge', 'node_exporter: Duration of a collector scrape.');
    const out: MetricFamily[] = [];
    const started = performance.now();
    await Promise.all(
      cfg.collectors.map(async (c) => {
        const t0 = performance.now();
        let ok = 1;
        try {
          out.push(...(await c.collect(ctx)));
          this.recovered(c.name);
        } catch (e) {
          if (e instanceof NoDataError) {
            this.opts.logger.debug({ collector: c.name, error: e.message }, 'host metrics collector has no data');
          } else {
            ok = 0;
            this.self.failures.inc({ collector: c.name });
            if (!this.failing.has(c.name)) {
              this.failing.add(c.name);
              this.opts.logger.warn({ collector: c.name, error: (e as Error).message }, 'host metrics collector failed');
            }
          }
        }
        duration.samples.push({ labels: { collector: c.name }, value: (performance.now() - t0) / 1000 });
        success.samples.push({ labels: { collector: c.name }, value: ok });
      }),
    );
    this.self.collections.inc();
    this.self.duration.set((performance.now() - started) / 1000);
    out.push(duration, success);
    return out;
  }

  /** One collection in Prometheus text format 0.0.4 (for a /metrics-style endpoint). */
  async renderText(): Promise<string> {
    return formatText(await this.collect());
  }

  private recovered(name: string): void {
    if (this.failing.delete(name)) this.opts.logger.info({ collector: name }, 'host metrics collector recovered');
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const interval = this.cfg.intervalMs;
    const now = this.now();
    let due = (this.due ?? now) + interval;
    // Missed ticks (a long pause, a slow collection) are skipped, not caught up in a burst.
    while (due <= now) due += interval;
    this.due = due;
    this.timer = setTimeout(() => this.tick(), due - now);
    this.timer.unref?.();
  }

  private tick(): void {
    if (this.running) return;
    const run = this.collectAndAppend()
      .catch((e: unknown) => {
        this.self.appendFailures.inc();
        this.opts.logger.warn({ error: (e as Error).message }, 'host metrics append failed');
      })
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
    this.running = run;
  }

  /** Collects and appends one round; exported for tests through `collectOnce`. */
  private async collectAndAppend(): Promise<void> {
    // Stamped with the schedule when on time, as scrapes are: steady timestamps cost almost nothing to store.
    const t = alignedScrapeTime(this.now(), this.due, this.cfg.intervalMs);
    const families = await this.collect();
    const series = toAppendSeries(families, this.cfg.labels, t);
    const current = new Map<string, Labels>();
    for (const s of series) current.set(streamKey(s.labels), s.labels);
    for (const [key, labels] of this.lastSeries) {
      if (!current.has(key)) series.push({ labels, t: [t], v: Float64Array.of(STALE_NAN) });
    }
    this.lastSeries = current;
    const res = await this.opts.appender.append(this.opts.tenant ?? DEFAULT_TENANT, series);
    if (res.rejected.length > 0) {
      const first = res.rejected[0];
      this.opts.logger.warn({ rejected: res.rejected.length, reason: first?.reason }, 'host metrics: store refused some series');
    }
  }

  /** Runs one collect + append now (tests, `vigil agent --once`-style callers); rejects if the append fails. */
  async collectOnce(): Promise<void> {
    await this.collectAndAppend();
  }
}

/**
 * Families to append-ready series at time `t` (ms): `base` labels (job, instance, config labels)
 * under each sample's own labels, `__name__` last so nothing can override it.
 */
export function toAppendSeries(families: ReadonlyArray<MetricFamily>, base: Labels, t: number): MetricsAppendSeries[] {
  const out: MetricsAppendSeries[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      out.push({ labels: { ...base, ...s.labels, __name__: f.name }, t: [t], v: Float64Array.of(s.value) });
    }
  }
  return out;
}
