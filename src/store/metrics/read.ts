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
import type { MetricsCatalog } from './catalog.js';
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

  /** The SeriesQuerier select: samples in [start, end] per matching series (empty ones left out). */
  select(tenant: string, matchers: readonly LabelMatcher[], start: number, end: number): SeriesData[] {
    const out: SeriesData[] = [];
    for (const s of this.matching(tenant, matchers, start, end)) {
      const parts: Array<{ t: ArrayLike<number>; v: Float64Array; n: number }> = [];
      for (const c of this.catalog.chunksOf(s.id, start, end)) {
        const buf = this.readChunk(c.segment, c.offset, c.bytes, c.crc);
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
        for (let i = 0; i < p.n; i++) {
          const ti = p.t[i] as number;
          if (ti < start || ti > end) continue;
          t[n] = ti;
          v.set(p.v.subarray(i, i + 1), n); // typed-array copy keeps NaN payload bits
          n++;
        }
      }
      if (n > 0) out.push({ labels: s.labels, t: t.subarray(0, n), v: v.subarray(0, n) });
    }
    return out;
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

function withN(d: { t: Float64Array; v: Float64Array }): { t: Float64Array; v: Float64Array; n: number } {
  return { ...d, n: d.t.length };
}
