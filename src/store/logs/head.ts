/**
 * In-memory head blocks: the entries of a stream not yet in a chunk, in arrival order, made
 * durable by the write-ahead log. A block remembers the LSN range it came from, so the store knows
 * which WAL segments it still needs and which records to skip on replay.
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { ChunkLines } from './chunk-codec.js';
import { anyFields, fieldsBytes, type FieldsColumn } from './fields-codec.js';
import type { PagePool } from './page-pool.js';
import type { WalLineBytes } from './wal-codec.js';

export interface HeadBlock {
  ts: Micros[];
  /**
   * The lines' UTF-8 bytes, back to back over `pages` (page i holds `used[i]` bytes; a line never
   * straddles pages), and each line's length in `lens` (valid up to ts.length; replaced when it
   * grows). Chunks are cut from these and queries decode them. No strings are kept: they would
   * all survive into V8's old space (GC cost, memory) for the rare query that reads a head.
   */
  pages: Buffer[];
  used: number[];
  lens: Uint32Array;
  /**
   * Structured metadata per entry, aligned with ts; created on the first entry that has any (so
   * field-less streams keep no per-entry objects), entries before it undefined.
   */
  fields: FieldsColumn | undefined;
  /** UTF-8 bytes of the lines plus those of the fields' keys and values (what cutting and backpressure weigh). */
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
  return { ts: [], pages: [], used: [], lens: new Uint32Array(64), fields: undefined, bytes: 0, minTs: Infinity, maxTs: -Infinity, inOrder: true, firstLsn: lsn, lastLsn: lsn, createdAt: now, lastAppend: now };
}

/**
 * Appends entries to a block (its arrays only grow, so a query can snapshot by length), copying
 * their bytes into the block's pages (taken from `pool`): `bytes` may be reused after this returns.
 */
export function appendToBlock(
  b: HeadBlock,
  ts: ReadonlyArray<Micros>,
  bytes: WalLineBytes,
  lsn: number,
  now: Micros,
  pool: PagePool,
  fields?: ReadonlyArray<Record<string, string> | undefined>,
): void {
  const n = ts.length;
  if (b.fields || anyFields(fields)) {
    const k = b.ts.length;
    const col = (b.fields ??= new Array<Record<string, string> | undefined>(k).fill(undefined));
    for (let i = 0; i < n; i++) {
      const f = fields?.[i];
      col.push(f);
      // Counted so a stream of short lines with large metadata is still cut at the target size.
      if (f) b.bytes += fieldsBytes(f);
    }
  }
  copyLines(b, bytes, pool);
  let max = b.maxTs;
  let min = b.minTs;
  let inOrder = b.inOrder;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (t < max) inOrder = false;
    else max = t;
    if (t < min) min = t;
    b.ts.push(t);
  }
  b.maxTs = max;
  b.minTs = min;
  b.inOrder = inOrder;
  b.bytes += bytes.body.length;
  b.lastLsn = lsn;
  b.lastAppend = now;
}

function copyLines(b: HeadBlock, src: WalLineBytes, pool: PagePool): void {
  const lens = src.lens;
  const n = lens.length;
  const k = b.ts.length;
  if (k + n > b.lens.length) {
    let cap = b.lens.length * 2;
    while (cap < k + n) cap *= 2;
    const grown = new Uint32Array(cap);
    grown.set(b.lens.subarray(0, k));
    b.lens = grown;
  }
  b.lens.set(lens, k);
  let last = b.pages.length - 1;
  let from = 0;
  for (let i = 0; i < n; ) {
    let room = last >= 0 ? (b.pages[last] as Buffer).length - (b.used[last] as number) : 0;
    if (last < 0 || (lens[i] as number) > room) {
      const page = pool.take(lens[i] as number, b.bytes + from);
      b.pages.push(page);
      b.used.push(0);
      last++;
      room = page.length;
    }
    // The longest run of whole lines that fits: one copy for it.
    let run = 0;
    while (i < n && run + (lens[i] as number) <= room) run += lens[i++] as number;
    const at = b.used[last] as number;
    src.body.copy(b.pages[last] as Buffer, at, from, from + run);
    b.used[last] = at + run;
    from += run;
  }
}

/** The block's bytes as views over its pages (for chunk encoding; valid until the pages are given back). */
export function blockBody(b: HeadBlock): Buffer[] {
  return b.pages.map((p, i) => p.subarray(0, b.used[i] as number));
}

/** Gives a block's pages back to the pool once nothing reads it any more (its chunk is committed). */
export function releaseBlock(b: HeadBlock, pool: PagePool): void {
  pool.give(b.pages);
  b.pages = [];
  b.used = [];
}

/** The first `n` lines of a block, decoded, in arrival order; '' each when `withLines` is false. */
function decodeLines(b: HeadBlock, n: number, withLines: boolean): string[] {
  if (!withLines) return new Array<string>(n).fill('');
  const lines = new Array<string>(n);
  const lens = b.lens;
  let k = 0;
  for (let pi = 0; pi < b.pages.length && k < n; pi++) {
    const page = b.pages[pi] as Buffer;
    const end = b.used[pi] as number;
    let o = 0;
    while (o < end && k < n) {
      const len = lens[k] as number;
      lines[k++] = page.toString('utf8', o, o + len);
      o += len;
    }
  }
  while (k < n) lines[k++] = ''; // trailing empty lines take no bytes
  return lines;
}

/**
 * The first `n` entries of a block sorted by ascending ts (stable: arrival order breaks ties), the
 * lines decoded from the block's bytes (or '' when the caller reads timestamps only). Copies, so
 * later appends to the block do not disturb the caller.
 */
export function sortedView(b: HeadBlock, n = b.ts.length, withLines = true): { ts: Micros[]; lines: string[]; fields?: FieldsColumn } {
  const all = decodeLines(b, n, withLines);
  const allFields = withLines && b.fields && anyFields(b.fields, 0, n) ? b.fields : undefined;
  if (b.inOrder) return allFields ? { ts: b.ts.slice(0, n), lines: all, fields: allFields.slice(0, n) } : { ts: b.ts.slice(0, n), lines: all };
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const src = b.ts;
  idx.sort((x, y) => (src[x] as number) - (src[y] as number) || x - y);
  const ts = new Array<number>(n);
  const lines = new Array<string>(n);
  const fields = allFields ? new Array<Record<string, string> | undefined>(n) : undefined;
  for (let i = 0; i < n; i++) {
    const j = idx[i] as number;
    ts[i] = src[j] as number;
    lines[i] = all[j] as string;
    if (fields) fields[i] = (allFields as FieldsColumn)[j];
  }
  return fields ? { ts, lines, fields } : { ts, lines };
}

/**
 * A sealed block's entries sorted by ts, with their lines as bytes, cut into pieces of about
 * `target` bytes (one chunk each). In-order blocks (the usual case) only concatenate their parts.
 */
export function chunkPieces(b: HeadBlock, target: number): Array<{ ts: Float64Array; lines: ChunkLines; fields?: FieldsColumn }> {
  const n = b.ts.length;
  const lens = b.lens.subarray(0, n);
  let parts = blockBody(b);
  let ts = Float64Array.from(b.ts);
  let sortedLens = lens;
  let fields = b.fields && anyFields(b.fields, 0, n) ? b.fields : undefined;
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
    const unsortedFields = fields;
    if (unsortedFields) fields = new Array<Record<string, string> | undefined>(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const j = idx[i] as number;
      const len = lens[j] as number;
      if (fields) fields[i] = (unsortedFields as FieldsColumn)[j];
      body.copy(out, at, starts[j] as number, (starts[j] as number) + len);
      at += len;
      sortedLens[i] = len;
      ts[i] = src[j] as number;
    }
    parts = [out];
  }
  // Walk the parts, slicing (not copying) each piece's bytes out of them.
  const pieces: Array<{ ts: Float64Array; lines: ChunkLines; fields?: FieldsColumn }> = [];
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
    const piece: { ts: Float64Array; lines: ChunkLines; fields?: FieldsColumn } = { ts: ts.subarray(from, to), lines: { lens: sortedLens.subarray(from, to), body } };
    if (fields && anyFields(fields, from, to)) piece.fields = fields.slice(from, to);
    pieces.push(piece);
    from = to;
  }
  return pieces;
}
