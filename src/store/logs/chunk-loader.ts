/**
 * Loads chunks for one query: inline for small queries, through the scan worker pool (with
 * read-ahead) when a query has many chunks to scan, so long scans use every core and do not block
 * the event loop. Corrupt or vanished chunks are reported once and answer undefined.
 */
import type { ChunkMeta } from './catalog.js';
import { ChunkCorruptError } from './chunk-codec.js';
import type { CompiledFilters } from './line-filter.js';
import { scanChunk, scanChunkBlocks, type ScanResult, type ScanSpec } from './scan.js';
import type { ScanPool } from './scan-pool.js';
import type { ChunkLoader, ChunkSource } from './select.js';

export interface LoaderHooks {
  onRead(): void;
  onCorrupt(meta: ChunkMeta, e: unknown): void;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export class QueryChunkLoader implements ChunkLoader {
  /** Started scans not yet taken by the query (bounded, so a broad query cannot run ahead of its consumer). */
  private readonly pending = new Map<number, Promise<ScanResult | undefined>>();
  private readonly waiting: ChunkSource[] = [];
  private readonly queued = new Set<number>();
  private readonly started = new Set<number>();
  private readonly window: number;

  constructor(
    private readonly spec: ScanSpec,
    private readonly compiled: CompiledFilters,
    private readonly hooks: LoaderHooks,
    /** Set when the query is big enough to be worth the pool. */
    private readonly pool: ScanPool | undefined,
  ) {
    this.window = pool ? pool.size * 2 : 0;
  }

  private handle(src: ChunkSource, e: unknown): undefined {
    if (e instanceof ChunkCorruptError || (e as Error | undefined)?.name === 'ChunkCorruptError') this.hooks.onCorrupt(src.meta, e);
    else if (!isMissing(e)) throw e;
    return undefined; // a file retention deleted under the query: its data is gone by design
  }

  private start(src: ChunkSource): Promise<ScanResult | undefined> {
    const pool = this.pool as ScanPool;
    this.hooks.onRead();
    this.started.add(src.meta.id);
    const p = pool.scan(src.ref, this.spec).catch((e: unknown) => this.handle(src, e));
    this.pending.set(src.meta.id, p);
    return p;
  }

  private pump(): void {
    while (this.pending.size < this.window && this.waiting.length > 0) {
      const s = this.waiting.shift() as ChunkSource;
      if (!this.started.has(s.meta.id)) this.start(s);
    }
  }

  prefetch(srcs: ReadonlyArray<ChunkSource>): void {
    if (!this.pool) return;
    for (const s of srcs) {
      if (this.queued.has(s.meta.id)) continue;
      this.queued.add(s.meta.id);
      this.waiting.push(s);
    }
    this.pump();
  }

  async *iterate(src: ChunkSource, direction: 'forward' | 'backward'): AsyncGenerator<ScanResult> {
    if (this.pool) {
      const r = await this.load(src); // one ascending part; the caller reverses it for backward
      if (r) yield r;
      return;
    }
    this.hooks.onRead();
    const it = scanChunkBlocks(src.ref, this.spec, this.compiled, direction);
    try {
      for (;;) {
        let next: IteratorResult<ScanResult>;
        try {
          next = it.next();
        } catch (e) {
          // A corrupt block ends this chunk; what was yielded before it was verified data.
          this.handle(src, e);
          return;
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      it.return(undefined); // closes the file when the consumer stops early
    }
  }

  async load(src: ChunkSource): Promise<ScanResult | undefined> {
    if (this.pool) {
      // Not started yet (the query reached it before read-ahead did): start it now, once.
      const p = this.pending.get(src.meta.id) ?? this.start(src);
      this.pending.delete(src.meta.id);
      this.pump();
      return p;
    }
    this.hooks.onRead();
    try {
      return scanChunk(src.ref, this.spec, this.compiled);
    } catch (e) {
      return this.handle(src, e);
    }
  }
}
