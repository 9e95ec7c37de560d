/**
 * Turns sealed head blocks into chunks and commits them: encode (on the main thread, one chunk per
 * event-loop turn),
 * write one segment file (fsynced), then one catalog transaction with the chunk rows and the
 * streams' new flushed LSNs. Used by the store's flush and by compaction.
 */
import type { TrigramCollector } from './bloom.js';
import type { ByteArena } from './byte-arena.js';
import type { Catalog, NewChunk } from './catalog.js';
import { encodeChunk, type EncodedChunk } from './chunk-codec.js';
import { chunkPieces, type HeadBlock, type StreamState } from './head.js';
import { writeSegment } from './segment-file.js';

export interface EncodedForStream {
  enc: EncodedChunk;
  stream: number;
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Encodes a tenant's sealed blocks (big blocks cut into chunks of about `target` bytes).
 * Compression is synchronous: measured, zlib's async API (a stream and a thread-pool job per
 * 64 KiB line block) cost more main-thread CPU in its own overhead than the compression itself,
 * plus as much again on the pool and a zlib state per concurrent block. A chunk takes a few ms;
 * yielding between chunks keeps appends and queries flowing.
 */
export async function encodeSealed(
  items: ReadonlyArray<{ st: StreamState; blocks: ReadonlyArray<HeadBlock> }>,
  target: number,
  collector: TrigramCollector,
  arena?: ByteArena,
): Promise<{ encoded: EncodedForStream[]; flushed: Map<number, number> }> {
  const encoded: EncodedForStream[] = [];
  const flushed = new Map<number, number>();
  for (const { st, blocks } of items) {
    for (const b of blocks) {
      for (const piece of chunkPieces(b, target)) {
        if (encoded.length > 0) await nextTurn();
        encoded.push({ enc: encodeChunk(piece.ts, piece.lines, collector, arena, piece.fields), stream: st.id });
      }
      flushed.set(st.id, Math.max(flushed.get(st.id) ?? -1, b.lastLsn));
    }
  }
  return { encoded, flushed };
}

/**
 * Writes `encoded` as segment `id` of `tenant` and commits it (plus `replaced` chunk deletions and
 * `flushed` LSNs) in one transaction. Throws on I/O errors; the catalog is then unchanged.
 */
export async function commitChunks(
  ctx: { chunkDir: string; catalog: Catalog },
  id: number,
  tenant: string,
  encoded: ReadonlyArray<EncodedForStream>,
  flushed: ReadonlyMap<number, number>,
  replaced: ReadonlyArray<number> = [],
): Promise<void> {
  const { offsets, bytes } = await writeSegment(ctx.chunkDir, id, encoded.map((e) => e.enc.bytes));
  const rows: NewChunk[] = encoded.map(({ enc, stream }, i) => ({
    stream, minTs: enc.minTs, maxTs: enc.maxTs, entries: enc.entries, rawBytes: enc.rawBytes, tsLength: enc.tsPartLength,
    length: enc.bytes.length, offset: offsets[i] as number, crcTs: enc.crcTs, crcLines: enc.crcLines, bloom: enc.bloom,
  }));
  ctx.catalog.commitSegment(id, tenant, bytes, rows, flushed, replaced);
}
