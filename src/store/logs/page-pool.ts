/**
 * Fixed-size buffers that head blocks copy their line bytes into, recycled once the block's chunk
 * is committed. Copying (a memcpy per append run) instead of keeping views into WAL payloads means
 * a head holds exactly its own bytes: a payload carries every stream of an append, so a view would
 * pin the whole payload until the last of those streams is cut, and steady ingest would allocate a
 * fresh payload-sized buffer per append that lives as long as a head (old-space garbage).
 */

/** Size of a recycled page; smaller pages start small streams, larger ones hold a long line. */
export const PAGE_BYTES = 64 * 1024;
const MIN_PAGE = 4096;

export class PagePool {
  private readonly free: Buffer[] = [];

  /** Keeps at most `maxFree` pages for reuse (the rest are left to the GC). */
  constructor(private readonly maxFree = 64) {}

  /** A page of at least `min` bytes; `hint` (bytes the block already holds) sizes the first pages of small streams. */
  take(min: number, hint: number): Buffer {
    if (min > PAGE_BYTES) return Buffer.allocUnsafeSlow(min);
    if (hint + min < PAGE_BYTES / 2) {
      let size = MIN_PAGE;
      while (size < 2 * (hint + min)) size *= 2;
      return Buffer.allocUnsafeSlow(Math.min(size, PAGE_BYTES));
    }
    return this.free.pop() ?? Buffer.allocUnsafeSlow(PAGE_BYTES);
  }

  /** Returns pages nobody reads any more (their block's chunk is committed). */
  give(pages: ReadonlyArray<Buffer>): void {
    for (const p of pages) if (p.length === PAGE_BYTES && this.free.length < this.maxFree) this.free.push(p);
  }

  /** Pages kept for reuse (tests). */
  get freePages(): number {
    return this.free.length;
  }
}
