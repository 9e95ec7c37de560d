/**
 * Turns sealed head blocks into chunks and commits them: encode (compression on the thread pool),
 * write one segment file (fsynced), then one catalog transaction with the chunk rows and the
 * streams' new flushed LSNs. Used by the store's flush and by compaction.
 */
import type { TrigramCollector } from './bloom.js';
import type { Catalog, NewChunk } from './catalog.js';
import { encodeChunkAsync, type EncodedChunk } from './chunk-codec.js';
import { chunkPieces, type HeadBlock, type StreamState } from './head.js';
import { writeSegment } from './segment-file.js';

export interface EncodedForStream {
  enc: EncodedChunk;
  stream: number;
}

/** Encodes a tenant's sealed blocks (big blocks cut into chunks of about `target` bytes). */
export async function encodeSealed(
  items: ReadonlyArray<{ st: StreamState; blocks: ReadonlyArray<HeadBlock> }>,
  target: number,
  collector: TrigramCollector,
): Promise<{ encoded: EncodedForStream[]; flushed: Map<number, number> }> {
  const pending: Array<Promise<EncodedForStream>> = [];
  const flushed = new Map<number, number>();
  for (const { st, blocks } of items) {
    for (const b of blocks) {
      for (const piece of chunkPieces(b, target)) {
        pending.push(encodeChunkAsync(piece.ts, piece.lines, collector).then((enc) => ({ enc, stream: st.id })));
      }
      flushed.set(st.id, Math.max(flushed.get(st.id) ?? -1, b.lastLsn));
    }
  }
  return { encoded: await Promise.all(pending), flushed };
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
