/**
 * The embedded metrics store: series in a SQLite catalog, samples in per-series Gorilla chunks in
 * segment files, behind a checksummed write-ahead log (the log store's Wal, reused as is).
 *
 * Write path: append validates and applies samples to the series' heads synchronously (so
 * concurrent appends see each other's samples for ordering and duplicates), writes one WAL record
 * and resolves after its group-commit fsync. Heads are cut into chunks at chunk_max_samples /
 * chunk_max_span / max_head_age; a flush writes all cut chunks to one segment file (fsync, rename),
 * commits them in the catalog, then deletes WAL segments no head or unflushed chunk still needs.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { isValidLabelName, type LabelMatcher, type Labels } from '../../core/labels.js';
import { nowMicros, type Micros } from '../../core/time.js';
import type { SeriesQuerier } from '../../query/promql/storage.js';
import { deleteSegmentFile, removeOrphans, writeSegment } from '../logs/segment-file.js';
import { Wal, type WalCorruptionKind } from '../logs/wal.js';
import { MetricsCatalog, type NewChunkRow } from './catalog.js';
import { resolveMetricsStoreConfig, type MetricsStoreConfig, type ResolvedMetricsStoreConfig } from './config.js';
import { applySample, cutHead, newSeriesState, type PendingChunk, type SeriesState } from './head.js';
import { Postings } from './postings.js';
import { SeriesReader, compareLabels } from './read.js';
import { encodeWalRecord, decodeWalRecord, type WalSeries } from './wal-record.js';

/** Default write-ahead log segment size. */
export const WAL_SEGMENT_BYTES = 8 * 1024 * 1024;

export interface MetricsStoreOptions {
  dir: string;
  config: Partial<MetricsStoreConfig>;
  logger: Logger;
  /** Where `vigil_metrics_store_*` metrics register (a private registry when absent). */
  registry?: Registry;
  /** Wall clock in microseconds (tests move it). */
  now?: () => Micros;
  /** WAL segment roll size (small in tests to exercise truncation). */
  walSegmentBytes?: number;
}

/**
 * One series of an append: labels include `__name__` (labels with an empty value are dropped, as
 * in Prometheus); `t` integer ms, aligned with `v`. Pass `v` as a Float64Array to carry staleness
 * markers: V8 canonicalizes NaNs stored in a plain number[], so STALE_NAN turns into a plain NaN
 * there before the store ever sees it.
 */
export interface MetricsAppendSeries {
  labels: Labels;
  t: ArrayLike<number>;
  v: ArrayLike<number> | Float64Array;
}

export interface MetricsAppendResult {
  /** Samples durably written (duplicates of stored samples count as accepted: they are stored). */
  accepted: number;
  rejected: Array<{ series: number; count: number; reason: string }>;
}

export interface MetricsStoreStats {
  series: number;
  headSamples: number;
  pendingChunks: number;
  chunks: number;
  chunkBytes: number;
  chunkSamples: number;
  segments: number;
  walBytes: number;
  walSegments: number;
  corruptions: number;
  /** Decoded-chunk cache (chunk_cache_size): bytes held, entries, lookups that hit and missed. */
  chunkCache: { bytes: number; entries: number; hits: number; misses: number };
  /** Bytes of the in-memory committed-chunk lists (read path index, 56 bytes a chunk plus slack). */
  chunkIndexBytes: number;
}

function canonicalJson(labels: Labels): string {
  const o: Labels = {};
  for (const k of Object.keys(labels).sort()) o[k] = labels[k] as string;
  return JSON.stringify(o);
}

export class MetricsStore {
  private readonly cfg: ResolvedMetricsStoreConfig;
  private readonly tenants = new Map<string, Map<string, SeriesState>>();
  /** Label postings per tenant, in step with `tenants` (the read path's series index). */
  private readonly postings = new Map<string, Postings<SeriesState>>();
  private readonly reader: SeriesReader;
  private readonly chunkDir: string;
  private readonly now: () => Micros;
  private readonly m;
  private wal!: Wal;
  private timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> | undefined;
  private corruptions = 0;
  private stopped = false;
  private seriesCount = 0;
  /**
   * Committed chunks with max time >= this (ms) are in the series' in-memory chunk lists, exactly
   * those; older ones are only in the catalog (chunk_index_period). Only moves forward.
   */
  private indexedFrom = -Number.MAX_VALUE;

  private constructor(
    private readonly opts: MetricsStoreOptions,
    private readonly catalog: MetricsCatalog,
  ) {
    this.cfg = resolveMetricsStoreConfig(opts.config);
    this.chunkDir = join(opts.dir, 'chunks');
    this.now = opts.now ?? nowMicros;
    this.reader = new SeriesReader(this.postings, catalog, () => this.indexedFrom, this.chunkDir, opts.logger, () => this.countCorruption('chunk'), this.cfg.chunkCacheBytes);
    const registers = [opts.registry ?? new Registry()];
    this.m = {
      appended: new Counter({ name: 'vigil_metrics_store_appended_samples_total', help: 'Samples durably appended.', registers }),
      rejected: new Counter({ name: 'vigil_metrics_store_rejected_samples_total', help: 'Samples refused at append, by reason.', labelNames: ['reason'], registers }),
      corruptions: new Counter({ name: 'vigil_metrics_store_corruptions_total', help: 'Corrupt data found (torn WAL tails, bad WAL records, bad chunks).', labelNames: ['kind'], registers }),
      series: new Gauge({ name: 'vigil_metrics_store_series', help: 'Series known to the metrics store (all tenants).', registers }),
    };
  }

  /**
   * Opens (creating) the store in `dir`, replaying the WAL. Corrupt WAL records or a torn tail are
   * logged, counted and skipped; throws only when the directory or catalog cannot be opened.
   */
  static async open(opts: MetricsStoreOptions): Promise<MetricsStore> {
    mkdirSync(join(opts.dir, 'chunks'), { recursive: true });
    const store = new MetricsStore(opts, new MetricsCatalog(join(opts.dir, 'catalog.sqlite')));
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const byId = new Map<number, SeriesState>();
    for (const r of this.catalog.loadSeries()) {
      const s = newSeriesState(r.id, r.tenant, JSON.parse(r.labelsJson) as Labels, r.labelsJson, r.flushedMaxT);
      s.minT = r.minT ?? NaN;
      s.maxT = r.maxT ?? NaN;
      this.tenantMap(r.tenant).set(r.labelsJson, s);
      this.postingsOf(r.tenant).add(s);
      byId.set(r.id, s);
      this.seriesCount++;
    }
    if (this.cfg.chunkIndexPeriodMs > 0) this.indexedFrom = this.now() / 1000 - this.cfg.chunkIndexPeriodMs;
    this.catalog.forEachChunk(this.indexedFrom, (c) => byId.get(c.series)?.chunks.add(c));
    const known = new Set(this.catalog.segments().map((s) => s.id));
    const orphans = removeOrphans(this.chunkDir, known);
    if (orphans.length > 0) this.opts.logger.warn({ files: orphans }, 'metrics store: removed segment files the catalog did not know (crash before commit)');
    const wall = this.now() / 1000;
    let replayed = 0;
    this.wal = await Wal.open(
      join(this.opts.dir, 'wal'),
      {
        logger: this.opts.logger,
        onCorruption: (kind: WalCorruptionKind) => this.countCorruption(kind),
        // Smaller than the log store's 64 MiB: segments are only deleted whole, and a quiet
        // metrics install should not keep tens of MB of already-flushed samples around.
        segmentBytes: this.opts.walSegmentBytes ?? WAL_SEGMENT_BYTES,
      },
      0,
      (lsn, payload) => {
        const rec = decodeWalRecord(payload);
        const states = this.resolveSeries(rec.tenant, rec.series.map((x) => ({ labels: x.labels, labelsJson: x.labelsJson })));
        rec.series.forEach((x, i) => {
          const s = states[i] as SeriesState;
          for (let k = 0; k < x.t.length; k++) {
            const t = x.t[k] as number;
            if (t <= s.flushedMaxT) continue; // already in a committed chunk
            if (applySample(s, t, x.v, k, this.cfg, lsn, wall) === 'ok') replayed++;
          }
        });
      },
    );
    this.m.series.set(this.seriesCount);
    if (replayed > 0) this.opts.logger.info({ samples: replayed }, 'metrics store: replayed write-ahead log');
  }

  private countCorruption(kind: string): void {
    this.corruptions++;
    this.m.corruptions.inc({ kind });
  }

  private postingsOf(tenant: string): Postings<SeriesState> {
    let p = this.postings.get(tenant);
    if (!p) {
      p = new Postings();
      this.postings.set(tenant, p);
    }
    return p;
  }

  private tenantMap(tenant: string): Map<string, SeriesState> {
    let m = this.tenants.get(tenant);
    if (!m) {
      m = new Map();
      this.tenants.set(tenant, m);
    }
    return m;
  }

  /** Finds or creates (in one catalog transaction) the series; undefined where the series limit refused one. */
  private resolveSeries(tenant: string, items: ReadonlyArray<{ labels: Labels; labelsJson: string }>): Array<SeriesState | undefined> {
    const map = this.tenantMap(tenant);
    const out: Array<SeriesState | undefined> = [];
    const fresh: Array<{ i: number; tenant: string; labels: Labels; labelsJson: string }> = [];
    const seen = new Map<string, number>();
    items.forEach((it, i) => {
      const s = map.get(it.labelsJson);
      out.push(s);
      if (s) return;
      const dupOf = seen.get(it.labelsJson);
      if (dupOf !== undefined) return;
      if (map.size + fresh.length >= this.cfg.maxSeriesPerTenant) return;
      seen.set(it.labelsJson, i);
      fresh.push({ i, tenant, labels: it.labels, labelsJson: it.labelsJson });
    });
    if (fresh.length > 0) {
      const ids = this.catalog.createSeries(fresh);
      const postings = this.postingsOf(tenant);
      fresh.forEach((f, k) => {
        const s = newSeriesState(ids[k] as number, tenant, f.labels, f.labelsJson, -Infinity);
        map.set(f.labelsJson, s);
        postings.add(s);
      });
      this.seriesCount += fresh.length;
      this.m.series.set(this.seriesCount);
    }
    return items.map((it, i) => out[i] ?? map.get(it.labelsJson));
  }

  /**
   * Appends samples; resolves once the accepted ones are in the fsynced WAL. Refusals (bad labels,
   * limits, out of order, duplicate timestamp with another value) are per series in the result.
   * Rejects only when nothing could be made durable (store stopped, WAL write failed); in that
   * case samples already applied to memory stay visible but are not durable.
   */
  async append(tenant: string, series: ReadonlyArray<MetricsAppendSeries>): Promise<MetricsAppendResult> {
    if (this.stopped) throw new Error('metrics store is stopped');
    const rejected: MetricsAppendResult['rejected'] = [];
    const reject = (i: number, count: number, reason: string) => {
      const last = rejected[rejected.length - 1];
      if (last && last.series === i && last.reason === reason) last.count += count;
      else rejected.push({ series: i, count, reason });
      this.m.rejected.inc({ reason: reason.split(':')[0] as string }, count);
    };
    const valid: Array<{ i: number; labels: Labels; labelsJson: string }> = [];
    series.forEach((s, i) => {
      const problem = this.checkSeries(s);
      if (problem) return reject(i, s.t.length, problem);
      const labels: Labels = {};
      for (const [k, v] of Object.entries(s.labels)) if (v !== '') labels[k] = v;
      valid.push({ i, labels, labelsJson: canonicalJson(labels) });
    });
    const states = this.resolveSeries(tenant, valid);
    const lsn = this.wal.nextLsn();
    const wall = this.now() / 1000;
    const toWal: WalSeries[] = [];
    let accepted = 0;
    valid.forEach((it, k) => {
      const src = series[it.i] as MetricsAppendSeries;
      const s = states[k];
      if (!s) return reject(it.i, src.t.length, `series limit exceeded: ${this.cfg.maxSeriesPerTenant} series per tenant`);
      const v = src.v instanceof Float64Array ? src.v : Float64Array.from(src.v);
      const keptT: number[] = [];
      const keptIdx: number[] = [];
      for (let j = 0; j < src.t.length; j++) {
        const t = src.t[j] as number;
        if (!Number.isSafeInteger(t)) {
          reject(it.i, 1, `invalid timestamp: ${t} (integer milliseconds expected)`);
          continue;
        }
        const r = applySample(s, t, v, j, this.cfg, lsn, wall);
        if (r === 'ok') {
          keptT.push(t);
          keptIdx.push(j);
        } else if (r === 'dup') accepted++;
        else reject(it.i, 1, r);
      }
      if (keptT.length === 0) return;
      const kv = new Float64Array(keptT.length);
      keptIdx.forEach((j, x) => kv.set(v.subarray(j, j + 1), x));
      toWal.push({ labelsJson: s.labelsJson, t: keptT, v: kv });
      accepted += keptT.length;
    });
    if (toWal.length > 0) {
      await this.wal.append(encodeWalRecord(tenant, toWal), () => undefined);
    }
    this.m.appended.inc(accepted);
    return { accepted, rejected };
  }

  private checkSeries(s: MetricsAppendSeries): string | undefined {
    if (s.t.length !== s.v.length) return `timestamps and values differ in length (${s.t.length} vs ${s.v.length})`;
    const names = Object.keys(s.labels);
    if (!s.labels.__name__) return `missing metric name (__name__) in labels ${JSON.stringify(s.labels)}`;
    if (names.length > this.cfg.maxLabelNames) return `too many labels: ${names.length}, the limit is ${this.cfg.maxLabelNames}`;
    for (const n of names) {
      if (!isValidLabelName(n)) return `invalid label name ${JSON.stringify(n)}`;
      if (typeof s.labels[n] !== 'string') return `label ${n}: value is not a string`;
    }
    return undefined;
  }

  /**
   * Moves the in-memory chunk index's horizon to now - chunk_index_period, dropping the chunk
   * entries that fell behind it (queries find those in the catalog). Called with retention.
   */
  trimChunkIndex(): void {
    if (this.cfg.chunkIndexPeriodMs <= 0) return;
    const from = this.now() / 1000 - this.cfg.chunkIndexPeriodMs;
    if (from <= this.indexedFrom) return;
    // Synchronous with the move: a select sees every chunk in exactly one of list or catalog.
    for (const map of this.tenants.values()) for (const s of map.values()) s.chunks.dropBefore(from);
    this.indexedFrom = from;
  }

  /** Starts the flush (head cut) and retention timers. */
  start(): void {
    if (this.timers.length > 0 || this.stopped) return;
    const flush = setInterval(() => void this.flush().catch((e: unknown) => this.opts.logger.error({ err: e }, 'metrics store: flush failed')), this.cfg.flushIntervalMs);
    const retention = setInterval(() => {
      try {
        this.applyRetention();
        this.trimChunkIndex();
      } catch (e) {
        this.opts.logger.error({ err: e }, 'metrics store: retention failed');
      }
    }, Math.min(5 * 60_000, Math.max(1000, this.cfg.flushIntervalMs)));
    flush.unref();
    retention.unref();
    this.timers.push(flush, retention);
  }

  /**
   * Cuts heads that are full or older than max_head_age (all heads when `all`), writes every cut
   * chunk to one new segment file (fsynced) and commits it in the catalog, then truncates the WAL.
   * A failed write leaves the chunks pending (retried next time); the WAL still holds their samples.
   */
  flush(all = false): Promise<void> {
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushNow(all));
    // The chain link never rejects (the caller gets `run`'s error), so no rejection goes unhandled.
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.flushing = settled;
    void settled.then(() => {
      if (this.flushing === settled) this.flushing = undefined;
    });
    return run;
  }

  private async flushNow(all: boolean): Promise<void> {
    const wall = this.now() / 1000;
    const items: Array<{ s: SeriesState; c: PendingChunk }> = [];
    for (const map of this.tenants.values()) {
      for (const s of map.values()) {
        if (s.head && (all || wall - s.head.createdAt >= this.cfg.maxHeadAgeMs)) cutHead(s);
        for (const c of s.pending) items.push({ s, c });
      }
    }
    if (items.length > 0) {
      const id = this.catalog.nextSegmentId();
      const { offsets, bytes } = await writeSegment(this.chunkDir, id, items.map((x) => x.c.buf));
      const rows: NewChunkRow[] = items.map((x, k) => ({
        series: x.s.id, segment: id, offset: offsets[k] as number, bytes: x.c.buf.length, crc: crc32(x.c.buf),
        minT: x.c.minT, maxT: x.c.maxT, count: x.c.count,
      }));
      let minT = Infinity;
      let maxT = -Infinity;
      for (const r of rows) {
        minT = Math.min(minT, r.minT);
        maxT = Math.max(maxT, r.maxT);
      }
      this.catalog.commitSegment({ id, minT, maxT, bytes }, rows);
      // In the same synchronous step as the commit: a select sees each chunk either pending or
      // committed, never both or neither.
      const done = new Set(items.map((x) => x.c));
      items.forEach(({ s, c }, k) => {
        const row = rows[k] as NewChunkRow;
        if (row.maxT >= this.indexedFrom) s.chunks.add(row);
        s.flushedMaxT = Math.max(s.flushedMaxT, c.maxT);
        if (s.pending.length > 0) s.pending = s.pending.filter((p) => !done.has(p));
      });
    }
    // No wal.roll() here: it waits for an idle log, which never comes under steady ingest. Segments
    // roll by size; whole ones no head or pending chunk needs are deleted.
    let minLsn = this.wal.nextLsn();
    for (const map of this.tenants.values()) {
      for (const s of map.values()) {
        if (s.head) minLsn = Math.min(minLsn, s.head.minLsn);
        for (const p of s.pending) minLsn = Math.min(minLsn, p.minLsn);
      }
    }
    this.wal.deleteBefore(minLsn);
  }

  /**
   * Deletes whole segments whose newest sample is older than retention_period, then the oldest
   * segments while the total exceeds retention_size; forgets series left with no data. Returns
   * the number of segments deleted.
   */
  applyRetention(): number {
    const segs = this.catalog.segments();
    const cutoff = this.now() / 1000 - this.cfg.retentionMs;
    const drop: number[] = [];
    let total = segs.reduce((a, s) => a + s.bytes, 0);
    for (const s of segs) {
      const old = this.cfg.retentionMs > 0 && s.maxT < cutoff;
      const big = this.cfg.retentionSize > 0 && total > this.cfg.retentionSize;
      if (!old && !big) continue;
      drop.push(s.id);
      total -= s.bytes;
    }
    if (drop.length === 0) return 0;
    this.catalog.deleteSegments(drop);
    // Before the files go and before a later flush can reuse a dropped id (ids are MAX(id) + 1).
    const dropped = new Set(drop);
    this.reader.cache.dropSegments(dropped);
    for (const id of drop) {
      this.reader.forget(id);
      deleteSegmentFile(this.chunkDir, id);
    }
    const spans = new Map(this.catalog.spans().map((r) => [r.id, r]));
    const gone: SeriesState[] = [];
    for (const [tenant, map] of this.tenants) {
      const goneHere = new Set<SeriesState>();
      for (const [key, s] of map) {
        s.chunks.removeSegments(dropped);
        const sp = spans.get(s.id);
        const live = s.head?.t ?? [];
        const inMem = [...s.pending.map((p) => p.minT), ...live];
        const memMin = inMem.length > 0 ? Math.min(...inMem) : NaN;
        if (!sp && Number.isNaN(memMin)) {
          gone.push(s);
          goneHere.add(s);
          map.delete(key);
          continue;
        }
        s.minT = sp ? (Number.isNaN(memMin) ? sp.minT : Math.min(sp.minT, memMin)) : memMin;
      }
      if (goneHere.size > 0) this.postings.get(tenant)?.removeMany(goneHere);
    }
    if (gone.length > 0) {
      this.catalog.deleteSeries(gone);
      this.seriesCount -= gone.length;
      this.m.series.set(this.seriesCount);
    }
    this.opts.logger.info({ segments: drop.length, series: gone.length }, 'metrics store: retention deleted old data');
    return drop.length;
  }

  /** Flushes everything, stops timers, closes files. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    try {
      await this.flush(true);
      // Nothing is being appended now, so a roll cannot starve: every sample is in chunks and the
      // whole log can go.
      await this.wal.roll();
      this.wal.deleteBefore(this.wal.nextLsn());
    } catch (e) {
      this.opts.logger.error({ err: e }, 'metrics store: final flush failed (the WAL keeps the samples)');
    }
    await this.wal.close();
    this.reader.close();
    this.catalog.close();
  }

  stats(): MetricsStoreStats {
    let headSamples = 0;
    let pendingChunks = 0;
    let chunkIndexBytes = 0;
    for (const map of this.tenants.values()) {
      for (const s of map.values()) {
        headSamples += s.head?.n ?? 0;
        pendingChunks += s.pending.length;
        chunkIndexBytes += s.chunks.heldBytes();
      }
    }
    const tot = this.catalog.totals();
    return {
      series: this.seriesCount, headSamples, pendingChunks, chunks: tot.chunks, chunkBytes: tot.chunkBytes, chunkSamples: tot.samples,
      segments: tot.segments, walBytes: this.wal.bytes(), walSegments: this.wal.list().length, corruptions: this.corruptions,
      chunkCache: this.reader.cache.stats(), chunkIndexBytes,
    };
  }

  /** The PromQL engine's read path for one tenant. */
  querier(tenant: string): SeriesQuerier {
    return {
      select: (matchers, startMs, endMs) => Promise.resolve(this.reader.select(tenant, matchers, startMs, endMs)),
      release: (data) => this.reader.release(data),
    };
  }

  /** Series (label sets, sorted) with data in [startMs, endMs] matching any of the matcher sets. */
  series(tenant: string, matcherSets: LabelMatcher[][], startMs: number, endMs: number): Promise<Labels[]> {
    const seen = new Map<number, SeriesState>();
    for (const ms of matcherSets.length > 0 ? matcherSets : [[]]) for (const s of this.reader.matching(tenant, ms, startMs, endMs)) seen.set(s.id, s);
    return Promise.resolve([...seen.values()].map((s) => s.labels).sort(compareLabels));
  }

  /** Label names (sorted) of series with data in [startMs, endMs] matching all `matchers`. */
  labelNames(tenant: string, startMs: number, endMs: number, matchers: LabelMatcher[] = []): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.reader.matching(tenant, matchers, startMs, endMs)) for (const k of Object.keys(s.labels)) names.add(k);
    return Promise.resolve([...names].sort());
  }

  /** Values (sorted) of label `name` over series with data in [startMs, endMs] matching all `matchers`. */
  labelValues(tenant: string, name: string, startMs: number, endMs: number, matchers: LabelMatcher[] = []): Promise<string[]> {
    const vals = new Set<string>();
    for (const s of this.reader.matching(tenant, matchers, startMs, endMs)) {
      const v = s.labels[name];
      if (v !== undefined) vals.add(v);
    }
    return Promise.resolve([...vals].sort());
  }
}
