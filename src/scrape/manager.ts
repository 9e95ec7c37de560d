/**
 * The scrape manager: one pool per scrape config, targets from static_configs and file SD, a
 * ScrapeLoop per target. Reloads diff the targets: new ones start, vanished ones stop with
 * staleness markers, unchanged ones keep scraping undisturbed.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Dispatcher } from 'undici';
import { streamKey, type Labels } from '../core/labels.js';
import type { Service } from '../core/service.js';
import { tlsDispatcher } from '../http/client.js';
import type { SampleAppender } from '../metrics/appender.js';
import { DEFAULT_TENANT } from '../store/interfaces.js';
import type { ResolvedScrapeConfig, TargetGroup } from './config.js';
import { FileDiscovery } from './file-sd.js';
import { ScrapeLoop } from './loop.js';
import type { MetricMetadata } from './parse.js';
import { populateLabels, scrapeUrl } from './target.js';

export interface ScrapeManagerOptions {
  configs: ResolvedScrapeConfig[];
  appender: SampleAppender;
  logger: Logger;
  registry: Registry;
  /** Reserved for persisting discovery state; scraping keeps nothing on disk. */
  dataDir?: string;
  /** Tenant the samples are appended to (default DEFAULT_TENANT). */
  tenant?: string;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
}

/** One active target as `/api/v1/targets` describes it. */
export interface ActiveTargetInfo {
  scrapePool: string;
  discoveredLabels: Labels;
  labels: Labels;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrapeMs: number;
  lastScrapeDurationSeconds: number;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
}

interface Pool {
  cfg: ResolvedScrapeConfig;
  fingerprint: string;
  discoveries: FileDiscovery[];
  fileGroups: Map<number, TargetGroup[]>;
  loops: Map<string, { loop: ScrapeLoop; discovered: Labels }>;
  dropped: Labels[];
  dispatcher: Dispatcher | undefined;
}

function fingerprint(cfg: ResolvedScrapeConfig): string {
  return JSON.stringify(cfg, (_k, v: unknown) => (v instanceof RegExp ? v.source + v.flags : v));
}

/** Runs every scrape config; `vigil run` and `vigil agent` own one. */
export class ScrapeManager implements Service<ResolvedScrapeConfig[]> {
  private pools = new Map<string, Pool>();
  private configs: ResolvedScrapeConfig[];
  private started = false;
  private readonly tenant: string;
  private readonly m;

  constructor(private readonly opts: ScrapeManagerOptions) {
    this.configs = opts.configs;
    this.tenant = opts.tenant ?? DEFAULT_TENANT;
    const registers = [opts.registry];
    const counter = (name: string, help: string, labelNames: string[]): Counter<string> =>
      (opts.registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers });
    this.m = {
      scrapes: counter('vigil_scrape_scrapes_total', 'Scrapes run, by job and result (success, failure).', ['job', 'result']),
      rejected: counter('vigil_scrape_rejected_samples_total', 'Scraped samples the appender refused (out of order, duplicates), by job.', ['job']),
      sdErrors: counter('vigil_scrape_file_sd_read_errors_total', 'File SD files that could not be read or parsed.', []),
    };
  }

  /** Starts every pool: reads SD files synchronously, then the loops start at their offsets. */
  async start(): Promise<void> {
    this.started = true;
    for (const cfg of this.configs) this.startPool(cfg);
  }

  /**
   * Applies new configs: removed jobs stop (their series get staleness markers), changed jobs are
   * rebuilt, unchanged jobs keep running. Configs are already validated by resolveScrapeConfigs.
   */
  async reload(configs: ResolvedScrapeConfig[]): Promise<void> {
    this.configs = configs;
    if (!this.started) return;
    const next = new Map(configs.map((c) => [c.jobName, c]));
    const stops: Array<Promise<void>> = [];
    for (const [job, pool] of this.pools) {
      const cfg = next.get(job);
      if (cfg && fingerprint(cfg) === pool.fingerprint) continue;
      stops.push(this.stopPool(pool, true));
      this.pools.delete(job);
    }
    await Promise.all(stops);
    for (const cfg of configs) if (!this.pools.has(cfg.jobName)) this.startPool(cfg);
  }

  /** Stops every loop and watcher; no staleness markers (a shutdown is not a target going away). */
  async stop(): Promise<void> {
    this.started = false;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => this.stopPool(p, false)));
  }

  private startPool(cfg: ResolvedScrapeConfig): void {
    let dispatcher: Dispatcher | undefined;
    if (cfg.tls) {
      if (cfg.tls.insecureSkipVerify) this.opts.logger.warn({ job: cfg.jobName }, 'scrape: tls_config.insecure_skip_verify is on: server certificates are not checked');
      try {
        dispatcher = tlsDispatcher(cfg.tls);
      } catch (e) {
        this.opts.logger.error({ job: cfg.jobName, error: (e as Error).message }, 'scrape: TLS setup failed; the job scrapes without its TLS settings');
      }
    }
    const pool: Pool = { cfg, fingerprint: fingerprint(cfg), discoveries: [], fileGroups: new Map(), loops: new Map(), dropped: [], dispatcher };
    this.pools.set(cfg.jobName, pool);
    cfg.fileSd.forEach((f, i) => {
      const d = new FileDiscovery({
        files: f.files,
        refreshIntervalMs: f.refreshIntervalMs,
        onUpdate: (groups) => {
          pool.fileGroups.set(i, groups);
          if (this.pools.get(cfg.jobName) === pool) void this.sync(pool);
        },
        onError: (file, message) => {
          this.m.sdErrors.inc();
          this.opts.logger.error({ job: cfg.jobName, file, error: message }, 'scrape: file SD file not read; keeping its previous targets');
        },
      });
      pool.discoveries.push(d);
      d.start();
    });
    void this.sync(pool);
  }

  private async stopPool(pool: Pool, stale: boolean): Promise<void> {
    for (const d of pool.discoveries) d.stop();
    await Promise.all([...pool.loops.values()].map((l) => l.loop.stop(stale)));
    pool.loops.clear();
    await pool.dispatcher?.close();
  }

  /** Recomputes a pool's targets from its groups and starts/stops loops to match. */
  private async sync(pool: Pool): Promise<void> {
    const { cfg } = pool;
    const groups = [...cfg.staticGroups, ...[...pool.fileGroups.values()].flat()];
    const wanted = new Map<string, { labels: Labels; discovered: Labels }>();
    const dropped: Labels[] = [];
    for (const g of groups) {
      for (const addr of g.targets) {
        const t = populateLabels(cfg, g.labels, addr);
        if (t.error !== undefined) {
          this.opts.logger.warn({ job: cfg.jobName, target: addr, error: t.error }, 'scrape: target dropped');
          continue;
        }
        if (!t.labels) {
          dropped.push(t.discovered);
          continue;
        }
        const key = `${streamKey(t.labels)} ${scrapeUrl(t.labels, cfg.params)}`;
        if (!wanted.has(key)) wanted.set(key, { labels: t.labels, discovered: t.discovered });
      }
    }
    pool.dropped = dropped;
    const stops: Array<Promise<void>> = [];
    for (const [key, l] of pool.loops) {
      if (wanted.has(key)) continue;
      pool.loops.delete(key);
      stops.push(l.loop.stop(true));
    }
    for (const [key, w] of wanted) {
      if (pool.loops.has(key)) continue;
      const job = cfg.jobName;
      const loop = new ScrapeLoop({
        cfg,
        labels: w.labels,
        appender: this.opts.appender,
        tenant: this.tenant,
        logger: this.opts.logger,
        dispatcher: pool.dispatcher,
        ...(this.opts.now ? { now: this.opts.now } : {}),
        onScrape: (ok, rejected) => {
          this.m.scrapes.inc({ job, result: ok ? 'success' : 'failure' });
          if (rejected > 0) this.m.rejected.inc({ job }, rejected);
        },
      });
      pool.loops.set(key, { loop, discovered: w.discovered });
      if (this.started) loop.start();
    }
    await Promise.all(stops);
  }

  /** Active targets (by pool, then labels) and dropped targets' discovered labels. */
  targets(): { active: ActiveTargetInfo[]; dropped: Array<{ scrapePool: string; discoveredLabels: Labels }> } {
    const active: ActiveTargetInfo[] = [];
    const dropped: Array<{ scrapePool: string; discoveredLabels: Labels }> = [];
    for (const pool of [...this.pools.values()].sort((a, b) => (a.cfg.jobName < b.cfg.jobName ? -1 : 1))) {
      for (const { loop, discovered } of pool.loops.values()) {
        active.push({
          scrapePool: pool.cfg.jobName,
          discoveredLabels: discovered,
          labels: loop.targetLabels,
          scrapeUrl: loop.url,
          health: loop.health,
          lastError: loop.lastError,
          lastScrapeMs: loop.lastScrapeMs,
          lastScrapeDurationSeconds: loop.lastDurationSeconds,
          scrapeIntervalMs: loop.intervalMs,
          scrapeTimeoutMs: loop.timeoutMs,
        });
      }
      for (const d of pool.dropped) dropped.push({ scrapePool: pool.cfg.jobName, discoveredLabels: d });
    }
    return { active, dropped };
  }

  /** Metric family → distinct metadata entries, over every target's last successful scrape. */
  metadata(): Map<string, MetricMetadata[]> {
    const out = new Map<string, MetricMetadata[]>();
    for (const pool of this.pools.values()) {
      for (const { loop } of pool.loops.values()) {
        for (const [name, md] of loop.metadata) {
          const list = out.get(name) ?? [];
          if (!list.some((x) => x.type === md.type && x.help === md.help && x.unit === md.unit)) list.push(md);
          out.set(name, list);
        }
      }
    }
    return out;
  }

  /** Scrapes every active target once now (tests and `vigil check`-style one-shot use). */
  async scrapeAllOnce(): Promise<void> {
    await Promise.all([...this.pools.values()].flatMap((p) => [...p.loops.values()].map((l) => l.loop.scrapeOnce())));
  }
}
