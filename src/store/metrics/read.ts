/**
 * The metrics store's read path: finds matching series in memory and merges their committed
 * chunks (read from segment files, checksum-verified), pending chunks and head. A chunk that fails
 * its checksum or cannot be read is logged, counted and skipped; the query still answers.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { compileMatcher, type LabelMatcher, type Labels } from '../../core/labels.js';
import type { SeriesData } from '../../query/promql/storage.js';
import { segmentPath } from '../logs/segment-file.js';
import type { ChunkRow, MetricsCatalog, NewChunkRow } from './catalog.js';

/** Chunks closer than this in a segment file are read together (the gap is read and dropped). */
const COALESCE_GAP = 16 * 1024;
/** Largest single coalesced read. */
const MAX_READ = 8 * 1024 * 1024;
import { decodeChunk } from './gorilla.js';
import type { SeriesState } from './head.js';

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

/** Owned by MetricsStore; shares its series map. Synchronous: every call is small index lookups and decoding. */
export class SeriesReader {
  private readonly fds = new Map<number, number>();

  constructor(
    private readonly tenants: ReadonlyMap<string, ReadonlyMap<string, SeriesState>>,
    private readonly catalog: MetricsCatalog,
    private readonly chunkDir: string,
    private readonly logger: Logger,
    private readonly onCorruption: () => void,
  ) {}

  /** Series of `tenant` with data in [start, end] matching all matchers, sorted by labels. */
  matching(tenant: string, matchers: readonly LabelMatcher[], start: number, end: number): SeriesState[] {
    const fns = matchers.map((m) => ({ name: m.name, fn: compileMatcher(m) }));
    const out: SeriesState[] = [];
    for (const s of this.tenants.get(tenant)?.values() ?? []) {
      if (Number.isNaN(s.minT) || s.minT > end || s.maxT < start) continue;
      if (fns.every((f) => f.fn(s.labels[f.name]))) out.push(s);
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  /**
   * The SeriesQuerier select: samples in [start, end] per matching series (empty ones left out).
   * One catalog statement finds the chunks of every matching series; they are read sorted by
   * segment and offset, neighbours coalesced into one read (a flush writes the chunks of many
   * series side by side), and each decoded chunk's in-range samples are copied in bulk.
   */
  select(tenant: string, matchers: readonly LabelMatcher[], start: number, end: number): SeriesData[] {
    const series = this.matching(tenant, matchers, start, end);
    if (series.length === 0) return [];
    const rows = this.catalog.chunksOfMany(series.map((s) => s.id), start, end);
    const bufs = this.readChunks(rows);
    const out: SeriesData[] = [];
    // Rows come grouped by series id; `series` is in label order: index the groups.
    const firstRow = new Map<number, number>();
    for (let i = rows.length - 1; i >= 0; i--) firstRow.set((rows[i] as NewChunkRow).series, i);
    for (const s of series) {
      const parts: Array<{ t: Float64Array | number[]; v: Float64Array; n: number }> = [];
      let r = firstRow.get(s.id) ?? rows.length;
      for (; r < rows.length && (rows[r] as NewChunkRow).series === s.id; r++) {
        const buf = bufs[r];
        if (buf) parts.push(withN(decodeChunk(buf)));
      }
      for (const p of s.pending) if (p.maxT >= start && p.minT <= end) parts.push(withN(decodeChunk(p.buf)));
      if (s.head) parts.push({ t: s.head.t, v: s.head.v, n: s.head.n });
      let total = 0;
      for (const p of parts) total += p.n;
      const t = new Float64Array(total);
      const v = new Float64Array(total);
      let n = 0;
      for (const p of parts) {
        const a = firstAtOrAfter(p.t, p.n, start);
        const b = firstAtOrAfter(p.t, p.n, end + 1);
        if (b <= a) continue;
        // Same-type typed-array copies move bytes: NaN payloads (StaleNaN) stay intact.
        if (p.t instanceof Float64Array) t.set(p.t.subarray(a, b), n);
        else for (let i = a; i < b; i++) t[n + i - a] = p.t[i] as number;
        v.set(p.v.subarray(a, b), n);
        n += b - a;
      }
      if (n > 0) out.push({ labels: s.labels, t: t.subarray(0, n), v: v.subarray(0, n) });
    }
    return out;
  }

  /**
   * The bytes of each chunk row (undefined where unreadable or corrupt, counted and logged), read
   * in ascending file order with neighbours at most COALESCE_GAP apart joined into one read.
   */
  private readChunks(rows: readonly ChunkRow[]): Array<Buffer | undefined> {
    const out = new Array<Buffer | undefined>(rows.length);
    const order = rows.map((_, i) => i).sort((x, y) => {
      const a = rows[x] as ChunkRow;
      const b = rows[y] as ChunkRow;
      return a.segment - b.segment || a.offset - b.offset;
    });
    let i = 0;
    while (i < order.length) {
      const first = rows[order[i] as number] as ChunkRow;
      let j = i + 1;
      let endOff = first.offset + first.bytes;
      while (j < order.length) {
        const c = rows[order[j] as number] as ChunkRow;
        if (c.segment !== first.segment || c.offset - endOff > COALESCE_GAP || c.offset + c.bytes - first.offset > MAX_READ) break;
        endOff = Math.max(endOff, c.offset + c.bytes);
        j++;
      }
      const run = j - i === 1 ? undefined : this.readRange(first.segment, first.offset, endOff - first.offset);
      for (let k = i; k < j; k++) {
        const idx = order[k] as number;
        const c = rows[idx] as ChunkRow;
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

function withN(d: { t: Float64Array; v: Float64Array }): { t: Float64Array; v: Float64Array; n: number } {
  return { ...d, n: d.t.length };
}
