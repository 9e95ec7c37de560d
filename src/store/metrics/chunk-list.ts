/**
 * The committed chunks of one series, kept in memory so a select finds them without a catalog
 * statement: 7 numbers per chunk in one growable Float64Array (56 bytes a chunk, no object per
 * chunk), ordered by max time as the catalog's primary key orders them. The catalog stays the
 * durable truth: MetricsStore fills these lists from it at open and mirrors every commit and
 * retention delete into them after the catalog transaction succeeded.
 */

const FIELDS = 7;
const MIN_T = 0;
const MAX_T = 1;
const SEGMENT = 2;
const OFFSET = 3;
const BYTES = 4;
const CRC = 5;
const COUNT = 6;

/** Where one committed chunk lives and what it spans (times in ms). */
export interface ChunkMeta {
  segment: number;
  offset: number;
  bytes: number;
  crc: number;
  minT: number;
  maxT: number;
  count: number;
}

/** Owned by a SeriesState; written by MetricsStore only. */
export class ChunkList {
  private d: Float64Array = EMPTY;
  /** Number of chunks. */
  n = 0;
  /** True while every chunk's minT is >= the previous chunk's: a scan can stop at the first chunk past the end. */
  private minAscending = true;

  /** Adds a chunk, keeping max-time order (a flush appends; only a replayed or odd commit inserts). */
  add(c: ChunkMeta): void {
    if (this.n * FIELDS === this.d.length) {
      const nd = new Float64Array(Math.max(FIELDS * 4, this.d.length * 2));
      nd.set(this.d);
      this.d = nd;
    }
    let at = this.n;
    while (at > 0 && (this.d[(at - 1) * FIELDS + MAX_T] as number) > c.maxT) at--;
    if (at < this.n) this.d.copyWithin((at + 1) * FIELDS, at * FIELDS, this.n * FIELDS);
    const o = at * FIELDS;
    this.d[o + MIN_T] = c.minT;
    this.d[o + MAX_T] = c.maxT;
    this.d[o + SEGMENT] = c.segment;
    this.d[o + OFFSET] = c.offset;
    this.d[o + BYTES] = c.bytes;
    this.d[o + CRC] = c.crc;
    this.d[o + COUNT] = c.count;
    this.n++;
    // Appending (the usual case) checks one neighbour; an insert rechecks the list.
    if (at < this.n - 1) this.recheckOrder();
    else if (at > 0 && c.minT < (this.d[(at - 1) * FIELDS + MIN_T] as number)) this.minAscending = false;
  }

  /** Drops the chunks stored in any of `segments`; returns how many went. */
  removeSegments(segments: ReadonlySet<number>): number {
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      if (segments.has(this.d[r * FIELDS + SEGMENT] as number)) continue;
      if (w !== r) this.d.copyWithin(w * FIELDS, r * FIELDS, (r + 1) * FIELDS);
      w++;
    }
    const gone = this.n - w;
    this.n = w;
    if (w === 0) this.d = EMPTY;
    else if (gone > 0) this.recheckOrder();
    this.shrink();
    return gone;
  }

  /** Drops the chunks whose max time is below `t` (they age out of the in-memory index); returns how many. */
  dropBefore(t: number): number {
    let k = 0;
    while (k < this.n && (this.d[k * FIELDS + MAX_T] as number) < t) k++;
    if (k === 0) return 0;
    this.d.copyWithin(0, k * FIELDS, this.n * FIELDS);
    this.n -= k;
    if (this.n === 0) this.d = EMPTY;
    else if (!this.minAscending) this.recheckOrder();
    this.shrink();
    return k;
  }

  /** Indices [from, to) of the chunks that may overlap [start, end]; test each with `overlaps`. */
  range(start: number, end: number): [from: number, to: number] {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.d[mid * FIELDS + MAX_T] as number) < start) lo = mid + 1;
      else hi = mid;
    }
    if (!this.minAscending) return [lo, this.n];
    let to = lo;
    while (to < this.n && (this.d[to * FIELDS + MIN_T] as number) <= end) to++;
    return [lo, to];
  }

  overlaps(i: number, start: number, end: number): boolean {
    return (this.d[i * FIELDS + MAX_T] as number) >= start && (this.d[i * FIELDS + MIN_T] as number) <= end;
  }

  minT(i: number): number { return this.d[i * FIELDS + MIN_T] as number; }
  maxT(i: number): number { return this.d[i * FIELDS + MAX_T] as number; }
  segment(i: number): number { return this.d[i * FIELDS + SEGMENT] as number; }
  offset(i: number): number { return this.d[i * FIELDS + OFFSET] as number; }
  bytes(i: number): number { return this.d[i * FIELDS + BYTES] as number; }
  crc(i: number): number { return this.d[i * FIELDS + CRC] as number; }
  count(i: number): number { return this.d[i * FIELDS + COUNT] as number; }

  /** [min, max] time over all chunks; undefined when there are none. */
  span(): [number, number] | undefined {
    if (this.n === 0) return undefined;
    let min = Infinity;
    for (let i = 0; i < this.n; i++) min = Math.min(min, this.d[i * FIELDS + MIN_T] as number);
    return [min, this.d[(this.n - 1) * FIELDS + MAX_T] as number];
  }

  /** Bytes held (for the memory estimate in stats). */
  heldBytes(): number {
    return this.d.byteLength;
  }

  /** Gives memory back once a quarter or less of the array is used (chunks aged out or deleted). */
  private shrink(): void {
    if (this.d.length > FIELDS * 4 && this.n * FIELDS * 4 <= this.d.length) this.d = this.d.slice(0, Math.max(4, this.n * 2) * FIELDS);
  }

  private recheckOrder(): void {
    let ok = true;
    for (let i = 1; i < this.n && ok; i++) ok = (this.d[i * FIELDS + MIN_T] as number) >= (this.d[(i - 1) * FIELDS + MIN_T] as number);
    this.minAscending = ok;
  }
}

const EMPTY = new Float64Array(0);
