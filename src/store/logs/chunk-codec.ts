/**
 * The immutable chunk format. Timestamps and lines are compressed separately so a timestamp-only
 * scan (count_over_time without line filters) reads and inflates only the small first part, and
 * lines are compressed in independent ~64 KiB blocks so "newest 100 lines" inflates one block, not
 * the whole chunk (measured: 64 KiB blocks cost 0.188 vs 0.185 disk/raw for one 1.5 MB stream,
 * as deflate only looks 32 KiB back anyway).
 *
 * Layout: 40-byte header | ts block | block index | line blocks.
 *   header: magic "VLC1", u8 version (2), u8 codec (1 = deflate-raw), u16 flags, u32 entries, f64 min ts,
 *           f64 max ts, u32 ts block length, u32 line blocks length, u32 raw line bytes, u32 blocks
 *   ts block: deflate-raw(varint deltas of the ascending timestamps, the first from min ts)
 *   block index: per line block u32 first entry, u32 compressed length, u32 crc32
 *   line block: deflate-raw(varint byte length of each of its lines, then the line bytes)
 * The catalog keeps a crc32 of the "ts part" (header + ts block + index); each line block is
 * verified by its own crc32 from the index, so partial reads are verified too.
 *
 * Structured metadata: when some entry has fields, header flag bit 0 (the u16 at offset 6) is set,
 * the block index ends with u32 fields block length + u32 crc32, and the fields block
 * (deflate-raw of fields-codec.ts's encoding of every entry) follows the line blocks. Chunks
 * without fields (and all older chunks) have flag 0 and no such block: nothing to read or skip.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Micros } from '../../core/time.js';
import type { TrigramCollector } from './bloom.js';
import type { ByteArena } from './byte-arena.js';
import { anyFields, decodeFields, encodeFields, type FieldsColumn } from './fields-codec.js';

const MAGIC = 0x31434c56; // "VLC1"
export const CHUNK_HEADER = 40;
const LEVEL = 1; // measured: level 1 keeps ingest above target at ~0.2 disk/raw (see bench/store-bench.ts)

const VERSION = 2;
const FLAG_FIELDS = 1;
/** Raw bytes of lines per independently compressed line block. */
export const LINE_BLOCK_BYTES = 65_536;

export interface EncodedChunk {
  bytes: Buffer;
  /** Header + ts block + block index length: the prefix a timestamp-only read needs. */
  tsPartLength: number;
  crcTs: number;
  /** crc32 of all line blocks together (catalog record; reads verify per block). */
  crcLines: number;
  entries: number;
  minTs: Micros;
  maxTs: Micros;
  rawBytes: number;
  bloom: Buffer;
}

function writeVarint(buf: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    buf[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[o++] = v;
  return o;
}

interface PreparedChunk {
  tsBlock: Buffer;
  /** Compressed line blocks and the first entry of each. */
  blocks: Buffer[];
  firsts: number[];
  /** Compressed fields block, when some entry has fields. */
  fieldsBlock: Buffer | undefined;
  entries: number;
  minTs: Micros;
  maxTs: Micros;
  rawBytes: number;
  bloom: Buffer;
}

/** Chunk input as bytes: the lines back to back across `body` parts; line i has lens[i] bytes. */
export interface ChunkLines {
  lens: Uint32Array;
  body: Buffer[];
}

/** UTF-8 bytes and lengths of string lines (compaction; ingest already has bytes from the WAL). */
export function linesToBytes(lines: ReadonlyArray<string>): ChunkLines {
  const lens = new Uint32Array(lines.length);
  let total = 0;
  for (let i = 0; i < lines.length; i++) total += lens[i] = Buffer.byteLength(lines[i] as string);
  const body = Buffer.allocUnsafe(total);
  // Line by line: a joined string could pair surrogates across lines and change the byte count.
  let o = 0;
  for (const l of lines) o += body.write(l, o);
  return { lens, body: [body] };
}

/**
 * Encodes entries that are ALREADY sorted by ascending ts. Adds the lines' trigrams to
 * `collector` and returns its filter.
 */
export function encodeChunk(ts: ArrayLike<Micros>, lines: ChunkLines, collector: TrigramCollector, arena?: ByteArena, fields?: FieldsColumn): EncodedChunk {
  const p = prepareChunk(ts, lines, collector, arena);
  if (anyFields(fields)) p.fieldsBlock = deflate(encodeFields(fields as FieldsColumn, ts.length));
  return finishChunk(p, arena);
}

/**
 * Uncompressed blocks are built in one reused buffer and compressed synchronously right away
 * (deflateRawSync has read its input when it returns), so a chunk allocates only its output.
 */
const SCRATCH_KEEP = 4 * LINE_BLOCK_BYTES;
let scratch: Buffer | undefined;
function scratchOf(size: number): Buffer {
  if (size > SCRATCH_KEEP) return Buffer.allocUnsafeSlow(size); // rare (huge line or entry count): not kept
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_KEEP);
  return scratch;
}
const deflate = (b: Buffer): Buffer => deflateRawSync(b, { level: LEVEL });

function prepareChunk(ts: ArrayLike<Micros>, lines: ChunkLines, collector: TrigramCollector, arena: ByteArena | undefined): PreparedChunk {
  const n = ts.length;
  const minTs = n > 0 ? (ts[0] as number) : 0;
  const maxTs = n > 0 ? (ts[n - 1] as number) : 0;

  const tsRaw = scratchOf(n * 10 + 1);
  let o = 0;
  let prev = minTs;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    o = writeVarint(tsRaw, o, t - prev);
    prev = t;
  }
  const tsBlock = deflate(tsRaw.subarray(0, o));

  const { lens, body } = lines;
  let total = 0;
  for (const b of body) total += b.length;
  // Cut into blocks of ~LINE_BLOCK_BYTES (whole lines), each = varint lengths + the line bytes,
  // copied straight from the body parts (a line may straddle two parts).
  const blocks: Buffer[] = [];
  const firsts: number[] = [];
  let at = 0;
  let pi = 0;
  let po = 0;
  for (let from = 0; from < n; ) {
    let to = from;
    let size = 0;
    while (to < n && (size < LINE_BLOCK_BYTES || to === from)) size += lens[to++] as number;
    if (at + size > total) throw new RangeError(`chunk lines: lengths sum past the body's ${total} bytes`);
    const blk = scratchOf((to - from) * 5 + size);
    let bo = 0;
    for (let i = from; i < to; i++) bo = writeVarint(blk, bo, lens[i] as number);
    const linesAt = bo;
    for (let need = size; need > 0; ) {
      const p = body[pi] as Buffer;
      const take = Math.min(need, p.length - po);
      bo += p.copy(blk, bo, po, po + take);
      need -= take;
      po += take;
      if (po === p.length) {
        pi++;
        po = 0;
      }
    }
    for (let i = from, lo = linesAt; i < to; i++) {
      const len = lens[i] as number;
      collector.add(blk, lo, lo + len);
      lo += len;
    }
    at += size;
    blocks.push(deflate(blk.subarray(0, bo)));
    firsts.push(from);
    from = to;
  }
  if (at !== total) throw new RangeError(`chunk lines: lengths sum to ${at}, body has ${total} bytes`);
  return { tsBlock, blocks, firsts, fieldsBlock: undefined, entries: n, minTs, maxTs, rawBytes: total, bloom: collector.build(arena ? (n) => arena.take(n) : undefined) };
}

/** Lays the chunk out in one Buffer (from `arena` when given: see ByteArena for why). */
function finishChunk(p: PreparedChunk, arena: ByteArena | undefined): EncodedChunk {
  const { tsBlock, blocks, fieldsBlock } = p;
  let linesLen = 0;
  for (const b of blocks) linesLen += b.length;
  const indexLen = 4 + blocks.length * 12 + (fieldsBlock ? 8 : 0);
  const total = CHUNK_HEADER + tsBlock.length + indexLen + linesLen + (fieldsBlock?.length ?? 0);
  const bytes = arena ? arena.take(total) : Buffer.allocUnsafe(total);
  const header = bytes.subarray(0, CHUNK_HEADER).fill(0);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt8(VERSION, 4);
  header.writeUInt8(1, 5);
  if (fieldsBlock) header.writeUInt16LE(FLAG_FIELDS, 6);
  header.writeUInt32LE(p.entries, 8);
  header.writeDoubleLE(p.minTs, 12);
  header.writeDoubleLE(p.maxTs, 20);
  header.writeUInt32LE(tsBlock.length, 28);
  header.writeUInt32LE(linesLen, 32);
  header.writeUInt32LE(Math.min(p.rawBytes, 0xffffffff), 36);
  let o = CHUNK_HEADER + tsBlock.copy(bytes, CHUNK_HEADER);
  const index = bytes.subarray(o, o + indexLen);
  index.writeUInt32LE(blocks.length, 0);
  o += indexLen;
  blocks.forEach((b, i) => {
    index.writeUInt32LE(p.firsts[i] as number, 4 + i * 12);
    index.writeUInt32LE(b.length, 8 + i * 12);
    index.writeUInt32LE(crc32(b), 12 + i * 12);
    o += b.copy(bytes, o);
  });
  if (fieldsBlock) {
    index.writeUInt32LE(fieldsBlock.length, 4 + blocks.length * 12);
    index.writeUInt32LE(crc32(fieldsBlock), 8 + blocks.length * 12);
    o += fieldsBlock.copy(bytes, o);
  }
  const tsPartLength = CHUNK_HEADER + tsBlock.length + indexLen;
  return {
    bytes,
    tsPartLength,
    crcTs: crc32(bytes.subarray(0, tsPartLength)),
    crcLines: crc32(bytes.subarray(tsPartLength)),
    entries: p.entries,
    minTs: p.minTs,
    maxTs: p.maxTs,
    rawBytes: p.rawBytes,
    bloom: p.bloom,
  };
}

/** Thrown when chunk bytes fail their checksum or do not parse; the reader counts and skips. */
export class ChunkCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkCorruptError';
  }
}

/** One line block's place: entries [first, next block's first), bytes [offset, offset+length) of the lines region. */
export interface LineBlockRef {
  first: number;
  offset: number;
  length: number;
  crc: number;
}

export interface ChunkIndex {
  ts: Float64Array;
  blocks: LineBlockRef[];
  /** The fields block (offset in the lines region, after the line blocks), when the chunk has one. */
  fieldsBlock?: { offset: number; length: number; crc: number };
}

function readVarints(raw: Buffer, n: number, out: Uint32Array | Float64Array, what: string): number {
  let o = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let mul = 1;
    let b: number;
    do {
      if (o >= raw.length) throw new ChunkCorruptError(`${what} too short`);
      b = raw[o++] as number;
      v += (b & 0x7f) * mul;
      mul *= 0x80;
    } while (b & 0x80);
    out[i] = v;
  }
  return o;
}

/** Verifies and decodes the ts part (header + ts block + block index) of a chunk. */
export function decodeTsPart(part: Buffer, expectedCrc: number): ChunkIndex {
  if (crc32(part) !== expectedCrc) throw new ChunkCorruptError('timestamp block checksum mismatch');
  if (part.length < CHUNK_HEADER || part.readUInt32LE(0) !== MAGIC || part.readUInt8(4) !== VERSION) throw new ChunkCorruptError('bad chunk header');
  const n = part.readUInt32LE(8);
  const minTs = part.readDoubleLE(12);
  const tsLen = part.readUInt32LE(28);
  const idxAt = CHUNK_HEADER + tsLen;
  if (idxAt + 4 > part.length) throw new ChunkCorruptError('timestamp block length mismatch');
  const nBlocks = part.readUInt32LE(idxAt);
  const flags = part.readUInt16LE(6);
  if ((flags & ~FLAG_FIELDS) !== 0) throw new ChunkCorruptError(`unknown chunk flags ${flags}`);
  const hasFields = (flags & FLAG_FIELDS) !== 0;
  if (idxAt + 4 + nBlocks * 12 + (hasFields ? 8 : 0) !== part.length) throw new ChunkCorruptError('block index length mismatch');
  let raw: Buffer;
  try {
    raw = inflateRawSync(part.subarray(CHUNK_HEADER, idxAt));
  } catch (e) {
    throw new ChunkCorruptError(`timestamp block does not inflate: ${(e as Error).message}`);
  }
  const ts = new Float64Array(n);
  readVarints(raw, n, ts, 'timestamp block');
  let prev = minTs;
  for (let i = 0; i < n; i++) ts[i] = prev += ts[i] as number;
  const blocks: LineBlockRef[] = [];
  let offset = 0;
  for (let b = 0; b < nBlocks; b++) {
    const at = idxAt + 4 + b * 12;
    const length = part.readUInt32LE(at + 4);
    blocks.push({ first: part.readUInt32LE(at), offset, length, crc: part.readUInt32LE(at + 8) });
    offset += length;
  }
  if (!hasFields) return { ts, blocks };
  const fAt = idxAt + 4 + nBlocks * 12;
  return { ts, blocks, fieldsBlock: { offset, length: part.readUInt32LE(fAt), crc: part.readUInt32LE(fAt + 4) } };
}

/** Decoded lines of one block: its line i is body[starts[i] .. starts[i+1]). */
export interface DecodedLines {
  body: Buffer;
  starts: Uint32Array;
}

/** Verifies and decodes one line block holding `n` entries. */
export function decodeLineBlock(block: Buffer, expectedCrc: number, n: number): DecodedLines {
  if (crc32(block) !== expectedCrc) throw new ChunkCorruptError('line block checksum mismatch');
  let raw: Buffer;
  try {
    raw = inflateRawSync(block);
  } catch (e) {
    throw new ChunkCorruptError(`line block does not inflate: ${(e as Error).message}`);
  }
  const lens = new Uint32Array(n);
  const o = readVarints(raw, n, lens, 'line block');
  const starts = new Uint32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    at += lens[i] as number;
  }
  starts[n] = at;
  if (o + at !== raw.length) throw new ChunkCorruptError('line block length mismatch');
  return { body: raw.subarray(o), starts };
}

/** Verifies and decodes a chunk's fields block holding `n` entries. */
export function decodeFieldsBlock(block: Buffer, expectedCrc: number, n: number): FieldsColumn {
  if (crc32(block) !== expectedCrc) throw new ChunkCorruptError('fields block checksum mismatch');
  let raw: Buffer;
  try {
    raw = inflateRawSync(block);
  } catch (e) {
    throw new ChunkCorruptError(`fields block does not inflate: ${(e as Error).message}`);
  }
  try {
    const dec = decodeFields(raw, 0, raw.length, n);
    if (dec.end !== raw.length) throw new RangeError('trailing bytes');
    return dec.fields;
  } catch (e) {
    throw new ChunkCorruptError(`fields block does not decode: ${(e as Error).message}`);
  }
}
