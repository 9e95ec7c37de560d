/**
 * Retention and compaction. Both work on whole units: retention drops chunks past the age limit
 * and whole segment files (oldest first) past the size limit, per tenant; compaction rewrites runs
 * of a stream's small chunks into one chunk in a new segment. Files are deleted only after the
 * catalog no longer points at them, so a crash leaves at worst an orphan file (removed on open).
 */
import type { Logger } from 'pino';
import type { Micros } from '../../core/time.js';
import type { TrigramCollector } from './bloom.js';
import type { Catalog, ChunkMeta } from './catalog.js';
import { commitChunks, type EncodedForStream } from './chunk-writer.js';
import { encodeChunk, linesToBytes } from './chunk-codec.js';
import type { ResolvedLogStoreConfig } from './config.js';
import { ChunkCorruptError } from './chunk-codec.js';
import { scanChunk, type ChunkRef, type ScanResult } from './scan.js';
import { segmentPath } from './segment-file.js';

export interface MaintenanceContext {
  catalog: Catalog;
  chunkDir: string;
  logger: Logger;
  collector: TrigramCollector;
  cfg: ResolvedLogStoreConfig;
  now: Micros;
  allocSegment(): number;
  /** Deletes a segment file whose catalog rows are gone (the store defers it so running queries finish). */
  deleteFile(id: number): void;
  onCorruptChunk(meta: ChunkMeta, e: unknown): void;
}

export interface RetentionResult {
  chunksDeleted: number;
  segmentsDeleted: number;
  bytesFreed: number;
}

export interface CompactionResult {
  chunksBefore: number;
  chunksAfter: number;
  segmentsDeleted: number;
}

/** Drops segments no chunk references: catalog rows first, then files. */
function dropEmptySegments(ctx: MaintenanceContext): { count: number; bytes: number } {
  const empty = ctx.catalog.emptySegments();
  if (empty.length === 0) return { count: 0, bytes: 0 };
  const sizes = new Map<number, number>();
  for (const t of ctx.catalog.tenants()) for (const s of ctx.catalog.segmentsOf(t)) sizes.set(s.id, s.bytes);
  ctx.catalog.deleteSegments(empty);
  let bytes = 0;
  for (const id of empty) {
    ctx.deleteFile(id);
    bytes += sizes.get(id) ?? 0;
  }
  return { count: empty.length, bytes };
}

/** Applies retention_period and retention_size to every tenant. Throws on I/O errors. */
export function applyRetention(ctx: MaintenanceContext): RetentionResult {
  let chunksDeleted = 0;
  let segmentsDeleted = 0;
  let bytesFreed = 0;
  for (const tenant of ctx.catalog.tenants()) {
    if (ctx.cfg.retentionPeriod > 0) chunksDeleted += ctx.catalog.deleteChunksOlderThan(tenant, ctx.now - ctx.cfg.retentionPeriod);
    if (ctx.cfg.retentionSize > 0) {
      const segs = ctx.catalog.segmentsOf(tenant);
      let total = 0;
      for (const s of segs) total += s.bytes;
      const drop: number[] = [];
      for (const s of segs) {
        if (total <= ctx.cfg.retentionSize) break;
        drop.push(s.id);
        total -= s.bytes;
        bytesFreed += s.bytes;
      }
      if (drop.length > 0) {
        chunksDeleted += ctx.catalog.deleteSegments(drop);
        for (const id of drop) ctx.deleteFile(id);
        segmentsDeleted += drop.length;
      }
    }
  }
  const empty = dropEmptySegments(ctx);
  segmentsDeleted += empty.count;
  bytesFreed += empty.bytes;
  if (chunksDeleted > 0 || segmentsDeleted > 0) ctx.logger.info({ chunksDeleted, segmentsDeleted, bytesFreed }, 'log store retention applied');
  return { chunksDeleted, segmentsDeleted, bytesFreed };
}

export function refOf(chunkDir: string, m: ChunkMeta): ChunkRef {
  return { path: segmentPath(chunkDir, m.segment), offset: m.offset, length: m.length, tsLength: m.tsLength, entries: m.entries, crcTs: m.crcTs, crcLines: m.crcLines };
}

/**
 * Merges runs of small chunks (under half the target size) of each stream into chunks of up to the
 * target size. Corrupt chunks are left where they are (reported). Throws on I/O errors, leaving
 * the catalog unchanged.
 */
export async function compactChunks(ctx: MaintenanceContext): Promise<CompactionResult> {
  let chunksBefore = 0;
  let chunksAfter = 0;
  const target = ctx.cfg.chunkTargetSize;
  const maxSpan = 2 * ctx.cfg.maxChunkAge;
  for (const tenant of ctx.catalog.tenants()) {
    const newChunks: EncodedForStream[] = [];
    const replaced: number[] = [];
    for (const [stream, small] of ctx.catalog.smallChunks(tenant, Math.floor(target / 2))) {
      const groups: ChunkMeta[][] = [];
      let cur: ChunkMeta[] = [];
      let raw = 0;
      let from = 0;
      for (const c of small) {
        // A merged chunk spans at most two max_chunk_age: a quiet stream's day of small chunks must not
        // become one chunk that every short query of that stream has to decode whole.
        if (cur.length > 0 && (raw + c.rawBytes > target || Math.max(c.maxTs, from) - Math.min(c.minTs, from) > maxSpan)) {
          groups.push(cur);
          cur = [];
          raw = 0;
        }
        if (cur.length === 0) from = c.minTs;
        cur.push(c);
        raw += c.rawBytes;
      }
      if (cur.length > 0) groups.push(cur);
      for (const g of groups) {
        if (g.length < 2) continue;
        const parts: ScanResult[] = [];
        const ok: ChunkMeta[] = [];
        for (const m of g) {
          try {
            parts.push(scanChunk(refOf(ctx.chunkDir, m), { start: -Infinity, end: Infinity, skipLines: false }));
            ok.push(m);
          } catch (e) {
            if (!(e instanceof ChunkCorruptError)) throw e;
            ctx.onCorruptChunk(m, e);
          }
        }
        if (ok.length < 2) continue;
        const idx: Array<[number, number]> = [];
        parts.forEach((p, pi) => p.ts.forEach((_, i) => idx.push([pi, i])));
        idx.sort((a, b) => ((parts[a[0]]?.ts[a[1]] as number) - (parts[b[0]]?.ts[b[1]] as number)) || a[0] - b[0] || a[1] - b[1]);
        const ts = idx.map(([pi, i]) => parts[pi]?.ts[i] as number);
        const lines = idx.map(([pi, i]) => parts[pi]?.lines[i] as string);
        const fields = parts.some((p) => p.fields) ? idx.map(([pi, i]) => parts[pi]?.fields?.[i]) : undefined;
        newChunks.push({ enc: encodeChunk(ts, linesToBytes(lines), ctx.collector, undefined, fields), stream });
        for (const m of ok) replaced.push(m.id);
        chunksBefore += ok.length;
        chunksAfter += 1;
      }
    }
    if (newChunks.length === 0) continue;
    await commitChunks(ctx, ctx.allocSegment(), tenant, newChunks, new Map(), replaced);
  }
  const empty = dropEmptySegments(ctx);
  if (chunksBefore > 0) ctx.logger.info({ chunksBefore, chunksAfter, segmentsDeleted: empty.count }, 'log store compaction merged small chunks');
  return { chunksBefore, chunksAfter, segmentsDeleted: empty.count };
}
