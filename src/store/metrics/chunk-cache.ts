/**
 * A least-recently-used cache of decoded committed chunks, bounded in bytes: a dashboard that
 * refreshes the same range reads and decodes each chunk once. Committed chunks are immutable, so
 * an entry is keyed by where the chunk lives (segment, offset); it only goes stale when its
 * segment is deleted (retention), and MetricsStore drops a segment's entries before its id can be
 * reused. The decoded arrays are shared with queries: nobody may write to them.
 */
import type { DecodedChunk } from './gorilla.js';

/** Fixed cost per entry on top of its arrays (Map slot, entry object, two typed-array headers). */
const ENTRY_OVERHEAD = 200;
/** Segment ids and offsets fit in 2^21 and 2^32 (segment files are far smaller than 4 GiB). */
const OFFSET_SPAN = 2 ** 32;

interface Entry {
  chunk: DecodedChunk;
  segment: number;
  bytes: number;
  /** Read since it was last passed over by eviction (the CLOCK algorithm's reference bit). */
  used: boolean;
  /** The last select (generation) that read or added it: never evicted by that same select. */
  gen: number;
}

export interface ChunkCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

/** Owned by SeriesReader. `maxBytes` 0 disables caching (every get misses, put keeps nothing). */
export class ChunkCache {
  // CLOCK, an approximation of LRU with cheap hits: a hit only sets `used`; eviction walks the
  // Map in insertion order, moving used entries to the end (a second chance) and dropping the
  // first unused one. Re-inserting on every hit (exact LRU) cost three Map operations per chunk
  // read, a large share of a cached select. A select never evicts what it read itself: when its
  // chunks outgrow the cache, the rest are not cached (`fullGen`) instead of each evicting one
  // needed a moment later, so a dashboard larger than the cache still hits for most of its
  // chunks on every refresh where LRU would hit for none.
  private readonly map = new Map<number, Entry>();
  private gen = 0;
  private fullGen = -1;
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxBytes: number) {}

  /** Starts a select: entries it reads or adds from now on are protected from its own evictions. */
  beginSelect(): void {
    this.gen++;
  }

  get(segment: number, offset: number): DecodedChunk | undefined {
    const key = segment * OFFSET_SPAN + offset;
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.used = true;
    e.gen = this.gen;
    return e.chunk;
  }

  put(segment: number, offset: number, chunk: DecodedChunk): void {
    const bytes = chunk.t.byteLength + chunk.v.byteLength + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes || this.fullGen === this.gen) return;
    const key = segment * OFFSET_SPAN + offset;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { chunk, segment, bytes, used: false, gen: this.gen });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes) {
      // At most two passes: the first moves this select's entries and used ones (clearing
      // `used`) to the end; once it reaches the first moved entry, it only looks for one to evict.
      let first: Entry | undefined;
      let wrapped = false;
      let evicted = false;
      for (const [k, e] of this.map) {
        if (e === first) wrapped = true;
        if (!wrapped && (e.gen === this.gen || e.used)) {
          e.used = false;
          first ??= e;
          this.map.delete(k);
          this.map.set(k, e);
          continue;
        }
        if (e.gen === this.gen) continue;
        this.map.delete(k);
        this.bytes -= e.bytes;
        evicted = true;
        break;
      }
      if (evicted) continue;
      // Only this select's own entries are left: keep them, drop the newest, add no more.
      this.map.delete(key);
      this.bytes -= bytes;
      this.fullGen = this.gen;
      return;
    }
  }

  /** Drops every entry of the given segments (called when retention deletes them). */
  dropSegments(segments: ReadonlySet<number>): void {
    if (this.map.size === 0) return;
    for (const [k, e] of this.map) {
      if (!segments.has(e.segment)) continue;
      this.map.delete(k);
      this.bytes -= e.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  stats(): ChunkCacheStats {
    return { entries: this.map.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}
