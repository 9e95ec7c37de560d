/**
 * The embedded log store: appends go to the write-ahead log (group-committed fsync) and then to
 * per-stream head blocks; full, idle or old heads are cut into compressed chunks written to
 * segment files and recorded in the SQLite catalog; queries read both. See ARCHITECTURE.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LogBatch } from '../../core/events.js';
import { VigilError } from '../../core/errors.js';
import { formatLabels, type LabelMatcher, type Labels } from '../../core/labels.js';
import type { Service } from '../../core/service.js';
import { nowMicros, type Micros } from '../../core/time.js';
import type { AppendResult, LogAppender, LogQuerier, LogSelect, LogStoreStats, SelectedEntries, StreamInfo } from '../interfaces.js';
import { TrigramCollector } from './bloom.js';
import { Catalog, type ChunkMeta } from './catalog.js';
import { commitChunks, encodeSealed } from './chunk-writer.js';
import { QueryChunkLoader } from './chunk-loader.js';
import { resolveLogStoreConfig, type LogStoreConfig, type ResolvedLogStoreConfig } from './config.js';
import { appendToBlock, newBlock, releaseBlock, type HeadBlock, type StreamState } from './head.js';
import { PagePool } from './page-pool.js';
import type { FieldsColumn } from './fields-codec.js';
import { ByteArena } from './byte-arena.js';
import { admitBatch } from './admit.js';
import { dropDuplicates } from './dedup.js';
import { compileLineFilters } from './line-filter.js';
import { applyRetention, compactChunks, type CompactionResult, type MaintenanceContext, type RetentionResult } from './maintenance.js';
import { createStoreMetrics, type StoreMetrics } from './metrics.js';
import { ScanPool } from './scan-pool.js';
import { deleteSegmentFile, removeOrphans } from './segment-file.js';
import { planSelect } from './plan.js';
import { byStream, byTime } from './select.js';
import { StreamSet } from './stream-set.js';
import { Wal } from './wal.js';
import { decodeWalBatch, encodeWalBatch, type WalLineBytes } from './wal-codec.js';

export interface LogStoreOptions {
  /** Data directory (created if missing): catalog.db, wal/, chunks/. */
  dir: string;
  config: LogStoreConfig;
  logger: Logger;
  registry?: Registry;
  /** Clock for entry age limits, cutting and retention (tests move it). */
  now?: () => Micros;
  /** Scan worker threads; 0 scans inline. Default: the cores, at most 4. */
  scanWorkers?: number;
  /** A scan worker without work for this long exits (default 60 s; started again when needed). */
  scanWorkerIdleMs?: number;
  /** WAL segment roll size in bytes (default 64 MiB; tests use small ones). */
  walSegmentBytes?: number;
  /**
   * How long a segment file outlives its catalog rows (retention, compaction), so queries that
   * planned with it can still read it. Default 30 s; files left at a crash are removed on open.
   */
  fileDeleteGraceMs?: number;
}

/** Stats plus query counters (chunks read and skipped), for tests and benches. */
export interface LogStoreDetailedStats extends LogStoreStats {
  sealedBlocks: number;
  chunksRead: number;
  chunksSkippedByBloom: number;
  corruptChunks: number;
  /** Chunks scanned by the worker pool rather than inline. */
  chunksScannedInWorkers: number;
  /** Scan worker threads currently started. */
  scanWorkersRunning: number;
  walSegments: number;
}

/** Bytes of cut blocks waiting for their chunks beyond which appends wait for chunk writing. */
const MAX_SEALED_BYTES = 64 * 1024 * 1024;

/** Queries with at least this many chunks to scan under line filters go to the worker pool. */
const POOL_MIN_CHUNKS = 8;

export class LogStore implements LogAppender, LogQuerier, Service<LogStoreConfig> {
  private cfg: ResolvedLogStoreConfig;
  private streams!: StreamSet;
  private readonly metrics: StoreMetrics;
  private readonly collector = new TrigramCollector();
  private readonly pages = new PagePool();
  private readonly arena = new ByteArena();
  private readonly now: () => Micros;
  private readonly pool: ScanPool | undefined;
  private readonly chunkDir: string;
  private catalog!: Catalog;
  private wal!: Wal;
  private nextSegment = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private flushQueued = false;
  /** Bytes of all sealed blocks (cut, not yet in committed chunks). */
  private sealedBytes = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly pendingDeletes = new Map<number, NodeJS.Timeout>();
  private closed = false;
  private stopping: Promise<void> | undefined;
  private readonly reportedCorrupt = new Set<number>();
  private readonly counters = { chunksRead: 0, chunksSkippedByBloom: 0, corruptChunks: 0 };

  private constructor(private readonly opts: LogStoreOptions) {
    this.cfg = resolveLogStoreConfig(opts.config);
    this.metrics = createStoreMetrics(opts.registry);
    this.now = opts.now ?? nowMicros;
    this.chunkDir = join(opts.dir, 'chunks');
    const workers = opts.scanWorkers ?? undefined;
    this.pool = workers === 0 ? undefined : new ScanPool(opts.logger, workers, opts.scanWorkerIdleMs);
  }

  /**
   * Opens (or creates) the store in `dir` and replays the write-ahead log into the heads. Bad WAL
   * bytes are logged, counted and skipped; it throws only when the directory or catalog cannot be
   * used at all (permissions, disk), or CONFIG_INVALID.
   */
  static async open(opts: LogStoreOptions): Promise<LogStore> {
    const s = new LogStore(opts);
    mkdirSync(s.chunkDir, { recursive: true });
    s.catalog = new Catalog(join(opts.dir, 'catalog.db'));
    s.streams = new StreamSet(s.catalog);
    let maxFlushed = -1;
    for (const r of s.catalog.loadStreams()) {
      s.streams.add({ ...r, head: undefined, sealed: [] });
      maxFlushed = Math.max(maxFlushed, r.flushedLsn);
    }
    const orphans = removeOrphans(s.chunkDir, new Set(s.catalog.allSegmentIds()));
    if (orphans.length > 0) opts.logger.warn({ files: orphans }, 'log store: removed segment files the catalog did not know (crash before commit)');
    s.nextSegment = s.catalog.nextSegmentId();
    let replayed = 0;
    s.wal = await Wal.open(
      join(opts.dir, 'wal'),
      {
        logger: opts.logger,
        onCorruption: (kind) => s.metrics.corruptions.inc({ kind }),
        onFsync: (sec) => s.metrics.fsyncSeconds.observe(sec),
        ...(opts.walSegmentBytes ? { segmentBytes: opts.walSegmentBytes } : {}),
      },
      maxFlushed + 1,
      (lsn, payload) => {
        const b = decodeWalBatch(payload);
        for (const ws of b.streams) {
          const st = s.stateFor(b.tenant, ws.labels, formatLabels(ws.labels), ws.labelsJson);
          if (lsn <= st.flushedLsn) continue;
          s.applyToHead(st, ws.ts, ws.bytes, lsn, ws.fields); // copied into the head's pages: the file buffer is not kept
          replayed += ws.ts.length;
        }
      },
    );
    if (replayed > 0) opts.logger.info({ entries: replayed }, 'log store: write-ahead log replayed');
    s.updateGauges();
    if (s.hasSealed()) s.scheduleFlush();
    return s;
  }

  private stateFor(tenant: string, labels: Labels, key: string, labelsJson: string): StreamState {
    const found = this.streams.get(tenant, key);
    if (found) return found;
    const id = this.catalog.insertStream(tenant, key, labels, labelsJson);
    const st: StreamState = { id, tenant, key, labels, labelsJson, flushedLsn: -1, head: undefined, sealed: [] };
    this.streams.add(st);
    this.metrics.streams.set(this.streams.size);
    return st;
  }

  private applyToHead(st: StreamState, ts: Micros[], bytes: WalLineBytes, lsn: number, fields: FieldsColumn | undefined): void {
    const now = this.now();
    st.head ??= newBlock(lsn, now);
    appendToBlock(st.head, ts, bytes, lsn, now, this.pages, fields);
    if (st.head.bytes >= this.cfg.chunkTargetSize) this.seal(st);
  }

  private seal(st: StreamState): void {
    if (!st.head || st.head.ts.length === 0) return;
    st.sealed.push(st.head);
    this.sealedBytes += st.head.bytes;
    st.head = undefined;
    this.scheduleFlush();
  }

  private hasSealed(): boolean {
    for (const st of this.streams.all()) if (st.sealed.length > 0) return true;
    return false;
  }

  /**
   * Validates, writes one WAL record for the batch and resolves after its fsync (group commit),
   * then the entries are queryable. Refusals (limits, malformed streams) are in the result; it
   * rejects only when nothing was made durable (store closed, WAL write/fsync failed, not a batch).
   */
  async append(tenant: string, batch: LogBatch): Promise<AppendResult> {
    if (this.closed) throw new VigilError('UNAVAILABLE', 'log store is closed');
    if (!batch || !Array.isArray(batch.streams)) throw new VigilError('BAD_REQUEST', 'append: batch.streams must be an array');
    // Backpressure: when chunk writing falls behind (slow disk), appends wait for it instead of
    // piling cut blocks up in memory.
    if (this.sealedBytes > MAX_SEALED_BYTES) await this.scheduleFlush();
    if (this.closed) throw new VigilError('UNAVAILABLE', 'log store is closed');
    const { rejected, writes } = admitBatch(tenant, batch, {
      cfg: this.cfg,
      now: this.now(),
      streams: this.streams,
      metrics: this.metrics,
      createStream: (labels, key) => this.stateFor(tenant, labels, key, JSON.stringify(labels)),
    });
    // Entries already in their head (a retried push) are already durable: ignored, yet accepted.
    let duplicates = 0;
    for (let i = writes.length - 1; i >= 0; i--) {
      const w = writes[i] as (typeof writes)[number];
      const d = dropDuplicates(w.st.head, w.ws);
      if (d.dropped === 0) continue;
      duplicates += d.dropped;
      if (d.ws.ts.length === 0) writes.splice(i, 1);
      else w.ws = d.ws;
    }
    if (duplicates > 0) this.metrics.duplicateEntries.inc({ tenant }, duplicates);
    if (writes.length === 0) return { accepted: duplicates, rejected };
    const { payload, bytes } = encodeWalBatch(tenant, writes.map((w) => w.ws));
    let accepted = duplicates;
    await this.wal.append(payload, (lsn) => {
      for (let i = 0; i < writes.length; i++) {
        const w = writes[i] as (typeof writes)[number];
        this.applyToHead(w.st, w.ws.ts, bytes[i] as WalLineBytes, lsn, w.ws.fields); // copies the bytes
        accepted += w.ws.ts.length;
      }
    });
    this.metrics.appendedEntries.inc({ tenant }, accepted - duplicates);
    this.metrics.appendedBytes.inc(bytes.reduce((n, b) => n + b.body.length, 0));
    return { accepted, rejected };
  }

  private scheduleFlush(): Promise<unknown> {
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.chain = this.chain.then(() => {
        this.flushQueued = false;
        return this.writeSealed().catch((e: unknown) => {
          this.opts.logger.error({ error: (e as Error).message }, 'log store: writing chunks failed; entries stay in memory and the WAL, retrying later');
        });
      });
    }
    return this.chain;
  }

  /** Turns every sealed block into chunks: one segment file per tenant, then one catalog commit. */
  private async writeSealed(): Promise<void> {
    const byTenant = new Map<string, Array<{ st: StreamState; blocks: HeadBlock[] }>>();
    for (const st of this.streams.all()) {
      if (st.sealed.length === 0) continue;
      let l = byTenant.get(st.tenant);
      if (!l) byTenant.set(st.tenant, (l = []));
      l.push({ st, blocks: st.sealed.slice() });
    }
    for (const [tenant, items] of byTenant) {
      const { encoded, flushed } = await encodeSealed(items, this.cfg.chunkTargetSize, this.collector, this.arena);
      try {
        await commitChunks({ chunkDir: this.chunkDir, catalog: this.catalog }, this.nextSegment++, tenant, encoded, flushed);
      } finally {
        this.arena.reset(); // the chunks are on disk and in the catalog (or failed): nothing reads them now
      }
      // Same tick as the commit: a query sees each entry either in memory or in a chunk, never both.
      for (const { st, blocks } of items) {
        st.sealed.splice(0, blocks.length);
        for (const b of blocks) {
          this.sealedBytes -= b.bytes;
          releaseBlock(b, this.pages);
        }
        st.flushedLsn = Math.max(st.flushedLsn, flushed.get(st.id) ?? -1);
      }
    }
    this.checkpoint();
    this.updateGauges();
  }

  /** Deletes WAL segments whose entries are all in committed chunks. */
  private checkpoint(): void {
    let min = this.wal.nextLsn();
    for (const st of this.streams.all()) {
      if (st.head) min = Math.min(min, st.head.firstLsn);
      for (const b of st.sealed) min = Math.min(min, b.firstLsn);
    }
    this.wal.deleteBefore(min);
  }

  private updateGauges(): void {
    const c = this.catalog.stats();
    this.metrics.chunks.set(c.chunks);
    this.metrics.chunkBytes.set(c.bytes);
    this.metrics.walBytes.set(this.wal.bytes());
    this.metrics.streams.set(this.streams.size);
  }

  /** Cuts heads that are idle or old enough (called by the timer; exposed for tests). */
  cutIdle(): void {
    const now = this.now();
    for (const st of this.streams.all()) {
      const h = st.head;
      if (h && (now - h.lastAppend >= this.cfg.chunkIdlePeriod || now - h.createdAt >= this.cfg.maxChunkAge)) this.seal(st);
    }
  }

  /** Resolves once every chunk cut so far is written (or its write failed and was logged); for benches and tests. */
  async whenWritten(): Promise<void> {
    await this.chain;
  }

  /** Cuts every head into chunks, writes them and checkpoints the WAL (shutdown, tests). Throws on I/O errors. */
  async flush(): Promise<void> {
    for (const st of this.streams.all()) this.seal(st);
    await this.scheduleFlush();
    if (this.hasSealed()) throw new VigilError('UNAVAILABLE', 'log store: chunks could not be written (see log)');
    await this.wal.roll();
    this.checkpoint();
    this.updateGauges();
  }

  private maintenanceContext(): MaintenanceContext {
    return {
      catalog: this.catalog, chunkDir: this.chunkDir, logger: this.opts.logger, collector: this.collector, cfg: this.cfg, now: this.now(),
      allocSegment: () => this.nextSegment++,
      deleteFile: (id) => this.deleteFileLater(id),
      onCorruptChunk: (m, e) => this.reportCorrupt(m, e),
    };
  }

  private deleteFileLater(id: number): void {
    const grace = this.opts.fileDeleteGraceMs ?? 30_000;
    const del = () => {
      this.pendingDeletes.delete(id);
      try {
        deleteSegmentFile(this.chunkDir, id);
      } catch (e) {
        this.opts.logger.warn({ segment: id, error: (e as Error).message }, 'log store: could not delete a segment file');
      }
    };
    if (grace <= 0) return del();
    const t = setTimeout(del, grace);
    t.unref();
    this.pendingDeletes.set(id, t);
  }

  /** Applies retention by age and size to every tenant; serialized with chunk writes. */
  runRetention(): Promise<RetentionResult> {
    const p = this.chain.then(() => applyRetention(this.maintenanceContext()));
    this.chain = p.catch(() => undefined);
    return p.finally(() => this.updateGauges());
  }

  /** Merges small chunks per stream; serialized with chunk writes. */
  compact(): Promise<CompactionResult> {
    const p = this.chain.then(() => compactChunks(this.maintenanceContext()));
    this.chain = p.catch(() => undefined);
    return p.finally(() => this.updateGauges());
  }

  private reportCorrupt(m: ChunkMeta, e: unknown): void {
    this.counters.corruptChunks++;
    this.metrics.corruptions.inc({ kind: 'chunk' });
    if (this.reportedCorrupt.has(m.id)) return;
    this.reportedCorrupt.add(m.id);
    this.opts.logger.error(
      { chunk: m.id, segment: m.segment, offset: m.offset, stream: this.streams.byStreamId(m.stream)?.key, error: (e as Error).message },
      'log store: corrupt chunk skipped',
    );
  }

  /**
   * Reads entries (see LogSelect for the order contracts). The plan (streams, chunks after bloom
   * skipping, in-memory snapshots) is fixed when called; chunks are decoded lazily as the
   * consumer iterates, in worker threads for filtered scans of many chunks. Throws BAD_QUERY for
   * an invalid line regex, UNAVAILABLE when stopped; corrupt chunks are skipped (logged, counted).
   */
  select(q: LogSelect): AsyncIterable<SelectedEntries> {
    if (this.closed) throw new VigilError('UNAVAILABLE', 'log store is closed');
    const compiled = compileLineFilters(q.lineFilters);
    const spec = { start: q.start, end: q.end, filters: q.lineFilters, skipLines: q.skipLines === true };
    const { plans, chunkCount } = planSelect(q, compiled, {
      streams: this.streams,
      catalog: this.catalog,
      chunkDir: this.chunkDir,
      onBloomSkip: () => {
        this.counters.chunksSkippedByBloom++;
        this.metrics.chunksSkipped.inc({ reason: 'bloom' });
      },
    });
    const usePool = this.pool !== undefined && !compiled.empty && chunkCount >= POOL_MIN_CHUNKS;
    const loader = new QueryChunkLoader(
      spec,
      compiled,
      { onRead: () => (this.counters.chunksRead++, this.metrics.chunksRead.inc()), onCorrupt: (m, e) => this.reportCorrupt(m, e) },
      usePool ? this.pool : undefined,
    );
    if (usePool) for (const p of plans) loader.prefetch(p.sources.filter((s) => s.kind === 'chunk'));
    return q.order === 'time'
      ? byTime(plans, q.direction, spec, compiled, loader, q.signal)
      : byStream(plans, q.direction, spec, compiled, loader, q.signal);
  }

  /** Streams matching any matcher set with data overlapping [start, end), by key. */
  async series(tenant: string, matcherSets: LabelMatcher[][], start: Micros, end: Micros): Promise<StreamInfo[]> {
    const seen = new Map<string, StreamInfo>();
    for (const set of matcherSets.length > 0 ? matcherSets : [[]]) {
      for (const st of this.streams.match(tenant, set)) {
        if (!seen.has(st.key) && this.streams.hasData(st, start, end)) seen.set(st.key, { labels: { ...st.labels }, key: st.key });
      }
    }
    return [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Label names of the tenant's streams (matching `matchers`) with data in [start, end), sorted. */
  async labelNames(tenant: string, start: Micros, end: Micros, matchers: LabelMatcher[] = []): Promise<string[]> {
    const names = new Set<string>();
    for (const st of this.streams.match(tenant, matchers)) {
      if (Object.keys(st.labels).every((n) => names.has(n))) continue;
      if (this.streams.hasData(st, start, end)) for (const n of Object.keys(st.labels)) names.add(n);
    }
    return [...names].sort();
  }

  /** Values of label `name` over the tenant's streams (matching `matchers`) with data in [start, end), sorted. */
  async labelValues(tenant: string, name: string, start: Micros, end: Micros, matchers: LabelMatcher[] = []): Promise<string[]> {
    const values = new Set<string>();
    for (const st of this.streams.match(tenant, matchers)) {
      const v = st.labels[name];
      if (v === undefined || values.has(v)) continue;
      if (this.streams.hasData(st, start, end)) values.add(v);
    }
    return [...values].sort();
  }

  /** Sizes and query counters, cheap enough for every /metrics scrape. */
  stats(): LogStoreDetailedStats {
    const c = this.catalog.stats();
    let headEntries = 0;
    let sealedBlocks = 0;
    for (const st of this.streams.all()) {
      headEntries += st.head?.ts.length ?? 0;
      for (const b of st.sealed) headEntries += b.ts.length;
      sealedBlocks += st.sealed.length;
    }
    return {
      streams: this.streams.size, chunks: c.chunks, chunkBytes: c.bytes, walBytes: this.wal.bytes(), headEntries, sealedBlocks,
      ...this.counters, chunksScannedInWorkers: this.pool?.scannedInWorkers ?? 0, scanWorkersRunning: this.pool?.running ?? 0, walSegments: this.wal.list().length,
    };
  }

  /** Starts the timers: cutting idle/old heads, retention every 10 min, compaction every hour. */
  async start(): Promise<void> {
    if (this.closed) throw new VigilError('UNAVAILABLE', 'log store is closed');
    if (this.timers.length > 0) return; // already started
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => {
        try {
          const r = fn();
          if (r instanceof Promise) r.catch((e: unknown) => this.opts.logger.error({ error: (e as Error).message }, 'log store maintenance failed'));
        } catch (e) {
          this.opts.logger.error({ error: (e as Error).message }, 'log store maintenance failed');
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    const tick = Math.max(1000, Math.min(10_000, Math.floor(Math.min(this.cfg.chunkIdlePeriod, this.cfg.maxChunkAge) / 1000 / 4)));
    every(tick, () => {
      this.cutIdle();
      if (this.hasSealed()) void this.scheduleFlush(); // also retries a failed write
      this.updateGauges();
    });
    every(10 * 60_000, () => this.runRetention());
    every(60 * 60_000, () => this.compact());
  }

  /** Applies a new config (limits, sizes, retention) in place; throws CONFIG_INVALID keeping the old one. */
  async reload(config: LogStoreConfig): Promise<void> {
    this.cfg = resolveLogStoreConfig(config);
  }

  /**
   * Releases every file and lock without flushing anything, as a kill -9 would: what is not in
   * chunks stays only in the WAL. For crash tests and for giving up after fatal I/O errors.
   */
  async abandon(): Promise<void> {
    this.stopping ??= (async () => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.wal.close();
      await this.chain.catch(() => undefined);
      for (const t of this.pendingDeletes.values()) clearTimeout(t);
      await this.pool?.close();
      this.catalog.close();
    })();
    return this.stopping;
  }

  /** Flushes heads to chunks when it can (the WAL keeps them otherwise), then closes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.wal.close();
      try {
        for (const st of this.streams.all()) this.seal(st);
        await this.scheduleFlush();
        if (!this.hasSealed()) this.checkpoint();
      } catch (e) {
        this.opts.logger.warn({ error: (e as Error).message }, 'log store: final flush failed; the write-ahead log keeps the entries');
      }
      await this.pool?.close();
      for (const [id, t] of this.pendingDeletes) {
        clearTimeout(t);
        deleteSegmentFile(this.chunkDir, id);
      }
      this.pendingDeletes.clear();
      this.catalog.close();
    })();
    return this.stopping;
  }
}
