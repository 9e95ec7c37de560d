/**
 * One target's scrape loop (scrape/scrape.go scrapeLoop): scrapes at a stable offset within the
 * interval, parses, merges target labels (honor_labels / exported_*), applies
 * metric_relabel_configs and limits, appends with the scrape's start time, writes the report
 * series and staleness markers for series that vanished (or all of them when the scrape failed).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { streamKey, type Labels } from '../core/labels.js';
import { VERSION } from '../core/version.js';
import { httpRequest } from '../http/client.js';
import type { SampleAppender } from '../metrics/appender.js';
import { STALE_NAN } from '../query/promql/storage.js';
import type { MetricsAppendSeries } from '../store/metrics/index.js';
import type { ResolvedScrapeConfig } from './config.js';
import { ExpositionParseError, formatOf, parseExposition, SCRAPE_ACCEPT_HEADER, type MetricMetadata } from './parse.js';
import { relabel } from './relabel.js';
import { publicLabels, scrapeUrl, targetTimes } from './target.js';
import { readFileSync } from 'node:fs';
import { alignedScrapeTime } from '../metrics/aligned-time.js';

const gunzipAsync = promisify(gunzip);

export interface ScrapeLoopOptions {
  cfg: ResolvedScrapeConfig;
  /** The target's labels after relabeling (`__*__` included). */
  labels: Labels;
  appender: SampleAppender;
  tenant: string;
  logger: Logger;
  dispatcher?: Dispatcher | undefined;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
  /** Told after every scrape (the manager counts results). */
  onScrape?(ok: boolean, rejectedSamples: number): void;
}

interface CachedSeries {
  /** Final labels, or undefined when metric relabeling dropped the series. */
  labels: Labels | undefined;
  key: string;
}

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;


/** A running scrape of one target; the manager owns its lifetime. */
export class ScrapeLoop {
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly targetLabels: Labels;
  health: 'up' | 'down' | 'unknown' = 'unknown';
  lastError = '';
  /** Start of the last scrape in ms (0 before the first). */
  lastScrapeMs = 0;
  lastDurationSeconds = 0;
  /** Metric family → metadata, with the successful-scrape iteration that last carried it. */
  readonly metadataEntries = new Map<string, { md: MetricMetadata; lastIter: number }>();
  private iter = 0;
  private readonly now: () => number;
  private readonly parseCache = new Map<string, Labels>();
  private seriesCache = new Map<string, CachedSeries>();
  /** Series (canonical key → labels) appended without an explicit timestamp by the last scrape. */
  private previous = new Map<string, Labels>();
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ScrapeLoopOptions) {
    this.now = opts.now ?? Date.now;
    this.url = scrapeUrl(opts.labels, opts.cfg.params);
    const t = targetTimes(opts.labels, opts.cfg);
    this.intervalMs = t.intervalMs;
    this.timeoutMs = t.timeoutMs;
    this.targetLabels = publicLabels(opts.labels);
  }

  /** The current metadata of the target's metric families. */
  get metadata(): Map<string, MetricMetadata> {
    return new Map([...this.metadataEntries].map(([k, e]) => [k, e.md]));
  }

  /** Prometheus's spread: a stable offset from a hash of the target, within the interval. */
  offsetMs(): number {
    const h = createHash('sha256').update(streamKey(this.opts.labels)).update(this.url).digest();
    return Number(h.readBigUInt64BE(0) % BigInt(Math.max(1, Math.round(this.intervalMs))));
  }

  start(): void {
    const nowMs = this.now();
    const base = this.intervalMs - (nowMs % this.intervalMs);
    let next = base + this.offsetMs();
    if (next > this.intervalMs) next -= this.intervalMs;
    let due = nowMs + next;
    const tick = (): void => {
      if (this.stopped) return;
      // A scrape still appending (slow disk) makes this tick skip rather than overlap it.
      if (!this.running) {
        this.running = this.scrapeOnce(due).finally(() => {
          this.running = undefined;
        });
      }
      due += this.intervalMs;
      // Skip missed ticks (a long pause) instead of scraping in a burst.
      while (due <= this.now()) due += this.intervalMs;
      this.timer = setTimeout(tick, due - this.now());
    };
    this.timer = setTimeout(tick, next);
  }

  /**
   * Stops scraping and waits for a scrape in flight. With `stale`, the target has gone away: every
   * series it produced (report series included) gets a staleness marker, as Prometheus does.
   */
  async stop(stale: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
    if (!stale) return;
    const t = Math.max(this.now(), this.lastScrapeMs + 1);
    const series: Labels[] = [...this.previous.values()];
    if (this.lastScrapeMs > 0) for (const name of REPORT_NAMES) series.push({ ...this.targetLabels, __name__: name });
    if (series.length === 0) return;
    const v = new Float64Array(series.length).fill(STALE_NAN);
    try {
      await this.opts.appender.append(this.opts.tenant, series.map((labels, i) => ({ labels, t: [t], v: v.subarray(i, i + 1) })));
    } catch (e) {
      this.opts.logger.warn({ error: (e as Error).message, target: this.url }, 'scrape: staleness markers for a removed target not written');
    }
  }

  private async fetchBody(): Promise<{ body: string; contentType: string | undefined }> {
    const { cfg } = this.opts;
    const headers: Record<string, string> = {
      accept: SCRAPE_ACCEPT_HEADER,
      'accept-encoding': 'gzip',
      'user-agent': `Vigil/${VERSION}`,
      'x-prometheus-scrape-timeout-seconds': String(this.timeoutMs / 1000),
    };
    let basicAuth: { username: string; password: string } | undefined;
    if (cfg.basicAuth) {
      // Secret files are read on every scrape, so rotating them needs no reload (as Prometheus).
      const password = cfg.basicAuth.passwordFile !== undefined ? readFileSync(cfg.basicAuth.passwordFile, 'utf8').trim() : cfg.basicAuth.password ?? '';
      basicAuth = { username: cfg.basicAuth.username, password };
    }
    if (cfg.authorization) {
      const a = cfg.authorization;
      const cred = a.credentialsFile !== undefined ? readFileSync(a.credentialsFile, 'utf8').trim() : a.credentials ?? '';
      headers.authorization = `${a.type} ${cred}`;
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([timeout, this.abort.signal]);
    let res;
    try {
      res = await httpRequest({ url: this.url, headers, timeoutMs: this.timeoutMs, signal, basicAuth, dispatcher: this.opts.dispatcher });
    } catch (e) {
      if (timeout.aborted) throw new Error(`Get "${this.url}": context deadline exceeded (timeout ${this.timeoutMs / 1000}s)`);
      throw new Error(`Get "${this.url}": ${(e as Error).message}`);
    }
    if (res.status !== 200) throw new Error(`server returned HTTP status ${res.status}`);
    const ce = res.headers['content-encoding'];
    const raw = ce === 'gzip' ? await gunzipAsync(res.body) : res.body;
    const ct = res.headers['content-type'];
    return { body: raw.toString('utf8'), contentType: Array.isArray(ct) ? ct[0] : ct };
  }

  /** Final labels of a scraped series: target labels merged as honor_labels says, then metric relabeling. */
  private finalLabels(scraped: Labels): Labels | undefined {
    const { cfg } = this.opts;
    const out: Labels = { ...scraped };
    if (cfg.honorLabels) {
      for (const [k, v] of Object.entries(this.targetLabels)) if (!out[k]) out[k] = v;
    } else {
      const conflicts: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(this.targetLabels)) {
        const existing = out[k];
        if (existing) conflicts.push([k, existing]);
        out[k] = v;
      }
      // Prometheus's resolveConflictingExposedLabels: shortest names first, exported_ prefixed
      // again while the name is taken.
      conflicts.sort((a, b) => a[0].length - b[0].length);
      for (const [k, v] of conflicts) {
        let name = k;
        do name = `exported_${name}`;
        while (out[name]);
        out[name] = v;
      }
    }
    for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
    return cfg.metricRelabel.length > 0 ? relabel(out, cfg.metricRelabel) : out;
  }

  /**
   * One scrape and append; never throws (failures become up=0 and lastError). `scheduledMs`: the
   * tick this scrape belongs to, used as its timestamp when it started close enough to it.
   */
  async scrapeOnce(scheduledMs?: number): Promise<void> {
    const start = alignedScrapeTime(this.now(), scheduledMs, this.intervalMs);
    const t0 = performance.now();
    const { cfg } = this.opts;
    const series: Array<{ labels: Labels; t: number; v: number }> = [];
    const current = new Map<string, Labels>();
    let scraped = 0;
    let added = 0;
    let err: string | undefined;
    try {
      const { body, contentType } = await this.fetchBody();
      const p = parseExposition(body, formatOf(contentType), this.parseCache);
      scraped = p.count;
      const nextCache = new Map<string, CachedSeries>();
      for (let i = 0; i < p.count; i++) {
        const raw = p.keys[i] as string;
        let c = this.seriesCache.get(raw) ?? nextCache.get(raw);
        if (!c) {
          const labels = this.finalLabels(p.labels[i] as Labels);
          c = { labels, key: labels ? streamKey(labels) : '' };
        }
        nextCache.set(raw, c);
        if (!c.labels) continue;
        if (cfg.labelLimit > 0 && Object.keys(c.labels).length > cfg.labelLimit) {
          throw new Error(`label_limit exceeded (metric: ${c.labels.__name__ ?? ''}, number of labels: ${Object.keys(c.labels).length}, limit: ${cfg.labelLimit})`);
        }
        const explicit = p.timestamps[i] as number;
        const hasTs = cfg.honorTimestamps && explicit === explicit;
        if (current.has(c.key)) continue; // a duplicate series in one exposition: the first wins
        if (!hasTs) {
          current.set(c.key, c.labels);
          if (!this.previous.has(c.key)) added++;
        }
        series.push({ labels: c.labels, t: hasTs ? explicit : start, v: p.values[i] as number });
      }
      this.seriesCache = nextCache;
      // Series churn would grow the label cache forever: keep only what this scrape used.
      if (this.parseCache.size > nextCache.size) for (const k of this.parseCache.keys()) if (!nextCache.has(k)) this.parseCache.delete(k);
      if (cfg.sampleLimit > 0 && series.length > cfg.sampleLimit) throw new Error(`sample limit exceeded (${series.length} > ${cfg.sampleLimit})`);
      // Prometheus's scrape cache keeps metadata for 10 successful scrapes after it disappeared.
      for (const [k, md] of p.metadata) this.metadataEntries.set(k, { md, lastIter: this.iter });
      for (const [k, e] of this.metadataEntries) if (this.iter - e.lastIter > 10) this.metadataEntries.delete(k);
      this.iter++;
    } catch (e) {
      if (this.parseCache.size > 2 * this.seriesCache.size + 1000) this.parseCache.clear();
      err = e instanceof ExpositionParseError ? `parse error: ${e.message}` : (e as Error).message;
      series.length = 0;
      current.clear();
      added = 0;
    }
    if (this.stopped && err !== undefined) return; // aborted by stop(): not a real failure
    const post = series.length;
    // Series that disappeared (all of them after a failed scrape) get a staleness marker.
    for (const [key, labels] of this.previous) {
      if (current.has(key)) continue;
      series.push({ labels, t: start, v: STALE_NAN });
    }
    this.previous = current;
    const duration = (performance.now() - t0) / 1000;
    const report = [err === undefined ? 1 : 0, duration, scraped, post, added];
    REPORT_NAMES.forEach((name, i) => series.push({ labels: { ...this.targetLabels, __name__: name }, t: start, v: report[i] as number }));
    const values = new Float64Array(series.length);
    const batch: MetricsAppendSeries[] = series.map((s, i) => {
      values[i] = s.v;
      return { labels: s.labels, t: [s.t], v: values.subarray(i, i + 1) };
    });
    let rejected = 0;
    try {
      const r = await this.opts.appender.append(this.opts.tenant, batch);
      for (const x of r.rejected) rejected += x.count;
      if (r.rejected.length > 0) this.opts.logger.debug({ target: this.url, rejected: r.rejected.slice(0, 3) }, 'scrape: samples refused by the store');
    } catch (e) {
      err ??= `append failed: ${(e as Error).message}`;
    }
    this.health = err === undefined ? 'up' : 'down';
    this.lastError = err ?? '';
    this.lastScrapeMs = start;
    this.lastDurationSeconds = duration;
    this.opts.onScrape?.(err === undefined, rejected);
  }
}
