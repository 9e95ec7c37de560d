/**
 * The metrics store's read path, without a catalog statement: series come from the in-memory
 * postings (postings.ts), their committed chunks from each series' chunk list (chunk-list.ts),
 * decoded from the decoded-chunk cache (chunk-cache.ts) or read from segment files
 * (checksum-verified, neighbours coalesced), then merged with pending chunks and the head into
 * pooled buffers the engine hands back when done (SeriesQuerier.release). A chunk that fails its
 * checksum, cannot be read or does not decode is logged, counted and skipped; the query still
 * answers.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import type { LabelMatcher, Labels } from '../../core/labels.js';
import type { SeriesData } from '../../query/promql/storage.js';
import { segmentPath } from '../logs/segment-file.js';
import { ChunkCache } from './chunk-cache.js';
import { decodeChunk, type DecodedChunk } from './gorilla.js';
import type { SeriesState } from './head.js';
import type { MetricsCatalog, NewChunkRow } from './catalog.js';
import type { Postings } from './postings.js';

/** Samples per buffer that selected series are copied into (128 KiB per array). */
const SLAB = 16384;
/** Most bytes of released slabs kept for reuse. */
const POOL_BYTES = 64 * 1024 * 1024;
const EMPTY_F64: Float64Array = new Float64Array(0);
/** Chunks closer than this in a segment file are read together (the gap is read and dropped). */
const COALESCE_GAP = 16 * 1024;
/** Largest single coalesced read. */
const MAX_READ = 8 * 1024 * 1024;

/** Sorts label sets as Prometheus's labels.Compare does (pairwise by name, then value). */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    const na = ka[i] as string;
    const nb = kb[i] as string;
    if (na !== nb) return na < nb ? -1 : 1;
    const va = a[na] as string;
    const vb = b[nb] as string;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

/** One committed chunk a select must read from disk (not in the decoded-chunk cache). */
interface Miss {
  segment: number;
  offset: number;
  bytes: number;
  crc: number;
  decoded: DecodedChunk | undefined;
}

type Part = DecodedChunk | Miss;

/**
 * Owned by MetricsStore; shares its postings (one per tenant). Synchronous: every call is
 * in-memory index lookups, a few coalesced reads of chunks not in the cache, and decoding.
 */
export class SeriesReader {
  private readonly fds = new Map<number, number>();
  readonly cache: ChunkCache;
  /** Released slabs (SLAB samples each), reused by the next selects. */
  private readonly pool: Float64Array[] = [];
  /** The slabs behind each select result not yet released. */
  private readonly leased = new WeakMap<SeriesData[], Float64Array[]>();

  constructor(
    private readonly postings: ReadonlyMap<string, Postings<SeriesState>>,
    private readonly catalog: MetricsCatalog,
    /** Chunks with max time >= this are in the series' chunk lists, older ones only in the catalog. */
    private readonly indexedFrom: () => number,
    private readonly chunkDir: string,
    private readonly logger: Logger,
    private readonly onCorruption: () => void,
    cacheBytes: number,
  ) {
    this.cache = new ChunkCache(cacheBytes);
  }

  /** Series of `tenant` with data in [start, end] matching all matchers, sorted by labels. */
  matching(tenant: string, matchers: readonly LabelMatcher[], start: number, end: number): SeriesState[] {
    const p = this.postings.get(tenant);
    if (!p) return [];
    const out: SeriesState[] = [];
    const keys: string[] = [];
    for (const s of p.select(matchers)) {
      if (Number.isNaN(s.minT) || s.minT > end || s.maxT < start) continue;
      out.push(s);
      keys.push(sortKeyOf(s.labels));
    }
    // Sorted by a key string built once per series (not kept: it would cost memory per series
    // for good), falling back to compareLabels for the rare values holding U+0000.
    const order = out.map((_, i) => i);
    order.sort((x, y) => {
      const kx = keys[x] as string;
      const ky = keys[y] as string;
      if (kx === '' || ky === '') return compareLabels((out[x] as SeriesState).labels, (out[y] as SeriesState).labels);
      return kx < ky ? -1 : kx > ky ? 1 : 0;
    });
    return order.map((i) => out[i] as SeriesState);
  }

  /**
   * The SeriesQuerier select: samples in [start, end] per matching series (empty ones left out).
   * Committed chunks come from the decoded-chunk cache or, for the rest, from segment files read
   * sorted by segment and offset, neighbours coalesced into one read (a flush writes the chunks of
   * many series side by side). A series with one chunk in range gets views of the decoded arrays
   * (no copy): the arrays returned are shared and read-only.
   */
  select(tenant: string, matchers: readonly LabelMatcher[], start: number, end: number): SeriesData[] {
    const series = this.matching(tenant, matchers, start, end);
    if (series.length === 0) return [];
    this.cache.beginSelect();
    const plans: Part[][] = new Array<Part[]>(series.length);
    const misses: Miss[] = [];
    const plan = (seg: number, off: number, bytes: number, crc: number, parts: Part[]): void => {
      const hit = this.cache.get(seg, off);
      if (hit) {
        parts.push(hit);
        return;
      }
      const m: Miss = { segment: seg, offset: off, bytes, crc, decoded: undefined };
      misses.push(m);
      parts.push(m);
    };
    // Chunks older than the in-memory index: one catalog statement for every series (rows by
    // series, then max time, all older than any chunk in the lists).
    const before = this.indexedFrom();
    const old = start < before ? this.catalog.chunksBefore(series.map((s) => s.id), start, end, before) : [];
    let r: number;
    const oldById = new Map<number, number>();
    for (let i = old.length - 1; i >= 0; i--) oldById.set((old[i] as NewChunkRow).series, i);
    for (let k = 0; k < series.length; k++) {
      const s = series[k] as SeriesState;
      const parts: Part[] = [];
      for (r = oldById.get(s.id) ?? old.length; r < old.length && (old[r] as NewChunkRow).series === s.id; r++) {
        const c = old[r] as NewChunkRow;
        plan(c.segment, c.offset, c.bytes, c.crc, parts);
      }
      const cl = s.chunks;
      const [from, to] = cl.range(start, end);
      for (let i = from; i < to; i++) {
        if (!cl.overlaps(i, start, end)) continue;
        plan(cl.segment(i), cl.offset(i), cl.bytes(i), cl.crc(i), parts);
      }
      plans[k] = parts;
    }
    if (misses.length > 0) this.load(misses);
    // Every part's in-range slice [a, b), flat; series k owns parts first[k]..first[k + 1].
    const pt: Array<Float64Array | number[]> = [];
    const pv: Float64Array[] = [];
    const pa: number[] = [];
    const pb: number[] = [];
    const first = new Int32Array(series.length + 1);
    const part = (t: Float64Array | number[], v: Float64Array, n: number): void => {
      const a = firstAtOrAfter(t, n, start);
      const b = firstAtOrAfter(t, n, end + 1);
      if (b <= a) return;
      pt.push(t);
      pv.push(v);
      pa.push(a);
      pb.push(b);
    };
    for (let k = 0; k < series.length; k++) {
      const s = series[k] as SeriesState;
      first[k] = pt.length;
      for (const p of plans[k] as Part[]) {
        const d = 'decoded' in p ? p.decoded : p;
        if (d) part(d.t, d.v, d.t.length);
      }
      for (const p of s.pending) {
        if (p.maxT < start || p.minT > end) continue;
        const d = this.decodeSafe(p.buf, 'pending');
        if (d) part(d.t, d.v, d.t.length);
      }
      if (s.head) part(s.head.t, s.head.v, s.head.n);
    }
    first[series.length] = pt.length;
    // Copies go into shared slabs of SLAB samples, reused once the engine releases the result:
    // fresh typed arrays (one per series, or one for the whole select) cost more than the copy
    // itself (zero-filled memory, often freshly faulted-in pages, and GC pressure).
    let allT = EMPTY_F64;
    let allV = EMPTY_F64;
    let n = 0;
    const out: SeriesData[] = [];
    const slabs: Float64Array[] = [];
    for (let k = 0; k < series.length; k++) {
      const s = series[k] as SeriesState;
      const p0 = first[k]!;
      const p1 = first[k + 1]!;
      if (p1 === p0) continue;
      const t0 = pt[p0]!;
      if (p1 - p0 === 1 && t0 instanceof Float64Array) {
        // Views of the decoded (cached) chunk: no copy.
        out.push({ labels: s.labels, t: t0.subarray(pa[p0]!, pb[p0]!), v: pv[p0]!.subarray(pa[p0]!, pb[p0]!) });
        continue;
      }
      let size = 0;
      for (let i = p0; i < p1; i++) size += pb[i]! - pa[i]!;
      if (n + size > allT.length) {
        if (size > SLAB) {
          allT = new Float64Array(size);
          allV = new Float64Array(size);
        } else {
          allT = this.pool.pop() ?? new Float64Array(SLAB);
          allV = this.pool.pop() ?? new Float64Array(SLAB);
          slabs.push(allT, allV);
        }
        n = 0;
      }
      const from = n;
      for (let i = p0; i < p1; i++) {
        const t = pt[i]!;
        const v = pv[i]!;
        const a = pa[i]!;
        const b = pb[i]!;
        // Element loops, not subarray + set: two views and a builtin call per part cost more than
        // copying a chunk's ~120 samples. V8 stores a Float64Array element's bits as read, so NaN
        // payloads (StaleNaN) survive (metrics-store.test.ts checks it across parts).
        if (t instanceof Float64Array) for (let j = a; j < b; j++) allT[n + j - a] = t[j]!;
        else for (let j = a; j < b; j++) allT[n + j - a] = t[j]!;
        for (let j = a; j < b; j++) allV[n + j - a] = v[j]!;
        n += b - a;
      }
      out.push({ labels: s.labels, t: allT.subarray(from, n), v: allV.subarray(from, n) });
    }
    if (slabs.length > 0) this.leased.set(out, slabs);
    return out;
  }

  /**
   * The caller no longer references `data` (a `select` result) or any array in it: its buffers
   * are reused by later selects. Releasing twice is a no-op; not releasing only costs allocation.
   */
  release(data: SeriesData[]): void {
    const slabs = this.leased.get(data);
    if (!slabs) return;
    this.leased.delete(data);
    for (const s of slabs) if ((this.pool.length + 1) * SLAB * 8 <= POOL_BYTES) this.pool.push(s);
  }

  /** Reads, checks and decodes the missed chunks (into `decoded`), caching each. */
  private load(misses: Miss[]): void {
    const bufs = this.readChunks(misses);
    for (let i = 0; i < misses.length; i++) {
      const buf = bufs[i];
      if (!buf) continue;
      const m = misses[i] as Miss;
      const d = this.decodeSafe(buf, 'committed');
      if (!d) continue;
      m.decoded = d;
      this.cache.put(m.segment, m.offset, d);
    }
  }

  /** decodeChunk, with a chunk that passed its checksum but does not decode logged and counted. */
  private decodeSafe(buf: Uint8Array, where: string): DecodedChunk | undefined {
    try {
      return decodeChunk(buf);
    } catch (e) {
      this.logger.warn({ where, error: (e as Error).message }, 'metrics store: chunk does not decode, skipped');
      this.onCorruption();
      return undefined;
    }
  }

  /**
   * The bytes of each chunk row (undefined where unreadable or corrupt, counted and logged), read
   * in ascending file order with neighbours at most COALESCE_GAP apart joined into one read.
   */
  private readChunks(rows: readonly Miss[]): Array<Buffer | undefined> {
    const out = new Array<Buffer | undefined>(rows.length);
    const order = rows.map((_, i) => i).sort((x, y) => {
      const a = rows[x] as Miss;
      const b = rows[y] as Miss;
      return a.segment - b.segment || a.offset - b.offset;
    });
    let i = 0;
    while (i < order.length) {
      const first = rows[order[i] as number] as Miss;
      let j = i + 1;
      let endOff = first.offset + first.bytes;
      while (j < order.length) {
        const c = rows[order[j] as number] as Miss;
        if (c.segment !== first.segment || c.offset - endOff > COALESCE_GAP || c.offset + c.bytes - first.offset > MAX_READ) break;
        endOff = Math.max(endOff, c.offset + c.bytes);
        j++;
      }
      const run = j - i === 1 ? undefined : this.readRange(first.segment, first.offset, endOff - first.offset);
      for (let k = i; k < j; k++) {
        const idx = order[k] as number;
        const c = rows[idx] as Miss;
        if (!run) {
          out[idx] = this.readChunk(c.segment, c.offset, c.bytes, c.crc);
          continue;
        }
        const buf = run.subarray(c.offset - first.offset, c.offset - first.offset + c.bytes);
        if (buf.length === c.bytes && crc32(buf) === c.crc) out[idx] = buf;
        else {
          this.logger.warn({ segment: c.segment, offset: c.offset, bytes: c.bytes }, 'metrics store: chunk checksum mismatch, skipped');
          this.onCorruption();
        }
      }
      i = j;
    }
    return out;
  }

  /** Up to `bytes` bytes of a segment from `offset` (fewer at its end); undefined when unreadable. */
  private readRange(segment: number, offset: number, bytes: number): Buffer | undefined {
    try {
      let fd = this.fds.get(segment);
      if (fd === undefined) {
        fd = openSync(segmentPath(this.chunkDir, segment), 'r');
        this.fds.set(segment, fd);
      }
      const buf = Buffer.allocUnsafe(bytes);
      const got = readSync(fd, buf, 0, bytes, offset);
      return buf.subarray(0, got);
    } catch (e) {
      this.logger.warn({ segment, offset, error: (e as Error).message }, 'metrics store: chunk unreadable, skipped');
      return undefined;
    }
  }

  private readChunk(segment: number, offset: number, bytes: number, crc: number): Buffer | undefined {
    try {
      let fd = this.fds.get(segment);
      if (fd === undefined) {
        fd = openSync(segmentPath(this.chunkDir, segment), 'r');
        this.fds.set(segment, fd);
      }
      const buf = Buffer.allocUnsafe(bytes);
      const got = readSync(fd, buf, 0, bytes, offset);
      if (got === bytes && crc32(buf) === crc) return buf;
      this.logger.warn({ segment, offset, bytes }, 'metrics store: chunk checksum mismatch, skipped');
    } catch (e) {
      this.logger.warn({ segment, offset, error: (e as Error).message }, 'metrics store: chunk unreadable, skipped');
    }
    this.onCorruption();
    return undefined;
  }

  /** Closes the cached descriptor of a deleted segment. */
  forget(segment: number): void {
    const fd = this.fds.get(segment);
    if (fd !== undefined) closeSync(fd);
    this.fds.delete(segment);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** Index of the first of the first `n` timestamps >= x (n when none). */
function firstAtOrAfter(t: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A string whose code-unit order is compareLabels' order: each sorted name and value followed by
 * U+0000, which sorts below any other character, so a prefix sorts first as in compareLabels.
 * '' (never a real key: a series has a __name__) marks values holding U+0000 themselves.
 */
function sortKeyOf(labels: Labels): string {
  let key = '';
  for (const name of Object.keys(labels).sort()) {
    const v = labels[name] as string;
    if (v.includes('\u0000')) return '';
    key += `${name}\u0000${v}\u0000`;
  }
  return key;
}
