/**
 * In-memory head blocks: the entries of a stream not yet in a chunk, in arrival order, made
 * durable by the write-ahead log. A block remembers the LSN range it came from, so the store knows
 * which WAL segments it still needs and which records to skip on replay.
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { ChunkLines } from './chunk-codec.js';
import type { WalLineBytes } from './wal-codec.js';

export interface HeadBlock {
  ts: Micros[];
  lines: string[];
  /** The lines' UTF-8 bytes as written to the WAL, one part per append: chunks are cut from these. */
  parts: WalLineBytes[];
  /** UTF-8 bytes of the lines. */
  bytes: number;
  minTs: Micros;
  maxTs: Micros;
  /** False once an entry arrived older than the newest one before it. */
  inOrder: boolean;
  firstLsn: number;
  lastLsn: number;
  /** Wall clock (store `now`) of the first and last append, for max_chunk_age / chunk_idle_period. */
  createdAt: Micros;
  lastAppend: Micros;
}

/** A stream as the store keeps it in memory. */
export interface StreamState {
  id: number;
  tenant: string;
  key: string;
  labels: Labels;
  labelsJson: string;
  flushedLsn: number;
  head: HeadBlock | undefined;
  /** Cut blocks waiting for their chunk to be written and committed (still answered from memory). */
  sealed: HeadBlock[];
}

export function newBlock(lsn: number, now: Micros): HeadBlock {
  return { ts: [], lines: [], parts: [], bytes: 0, minTs: Infinity, maxTs: -Infinity, inOrder: true, firstLsn: lsn, lastLsn: lsn, createdAt: now, lastAppend: now };
}

/** Appends entries to a block (its arrays only grow, so a query can snapshot by length). */
export function appendToBlock(b: HeadBlock, ts: ReadonlyArray<Micros>, lines: ReadonlyArray<string>, bytes: WalLineBytes, lsn: number, now: Micros): void {
  const n = ts.length;
  let max = b.maxTs;
  let min = b.minTs;
  let inOrder = b.inOrder;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (t < max) inOrder = false;
    else max = t;
    if (t < min) min = t;
    b.ts.push(t);
    b.lines.push(lines[i] as string);
  }
  b.parts.push(bytes);
  b.maxTs = max;
  b.minTs = min;
  b.inOrder = inOrder;
  b.bytes += bytes.body.length;
  b.lastLsn = lsn;
  b.lastAppend = now;
}

/**
 * The first `n` entries of a block sorted by ascending ts (stable: arrival order breaks ties).
 * Copies, so later appends to the block do not disturb the caller.
 */
export function sortedView(b: HeadBlock, n = b.ts.length): { ts: Micros[]; lines: string[] } {
  if (b.inOrder) return { ts: b.ts.slice(0, n), lines: b.lines.slice(0, n) };
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const src = b.ts;
  idx.sort((x, y) => (src[x] as number) - (src[y] as number) || x - y);
  const ts = new Array<number>(n);
  const lines = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const j = idx[i] as number;
    ts[i] = src[j] as number;
    lines[i] = b.lines[j] as string;
  }
  return { ts, lines };
}

/**
 * A sealed block's entries sorted by ts, with their lines as bytes, cut into pieces of about
 * `target` bytes (one chunk each). In-order blocks (the usual case) only concatenate their parts.
 */
export function chunkPieces(b: HeadBlock, target: number): Array<{ ts: Float64Array; lines: ChunkLines }> {
  const n = b.ts.length;
  const lens = new Uint32Array(n);
  let k = 0;
  for (const p of b.parts) {
    lens.set(p.lens, k);
    k += p.lens.length;
  }
  let parts = b.parts.map((p) => p.body);
  let ts = Float64Array.from(b.ts);
  let sortedLens = lens;
  if (!b.inOrder) {
    const body = Buffer.concat(parts);
    const starts = new Float64Array(n);
    for (let i = 1; i < n; i++) starts[i] = (starts[i - 1] as number) + (lens[i - 1] as number);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const src = b.ts;
    idx.sort((x, y) => (src[x] as number) - (src[y] as number) || x - y);
    const out = Buffer.allocUnsafe(body.length);
    sortedLens = new Uint32Array(n);
    ts = new Float64Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const j = idx[i] as number;
      const len = lens[j] as number;
      body.copy(out, at, starts[j] as number, (starts[j] as number) + len);
      at += len;
      sortedLens[i] = len;
      ts[i] = src[j] as number;
    }
    parts = [out];
  }
  // Walk the parts, slicing (not copying) each piece's bytes out of them.
  const pieces: Array<{ ts: Float64Array; lines: ChunkLines }> = [];
  let from = 0;
  let pi = 0;
  let po = 0;
  while (from < n) {
    let to = from;
    let size = 0;
    while (to < n && (size < target || to === from)) size += sortedLens[to++] as number;
    const body: Buffer[] = [];
    let need = size;
    while (need > 0) {
      const p = parts[pi] as Buffer;
      const take = Math.min(need, p.length - po);
      body.push(p.subarray(po, po + take));
      need -= take;
      po += take;
      if (po === p.length) {
        pi++;
        po = 0;
      }
    }
    pieces.push({ ts: ts.subarray(from, to), lines: { lens: sortedLens.subarray(from, to), body } });
    from = to;
  }
  return pieces;
}
