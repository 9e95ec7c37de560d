/**
 * Binary encoding of one append batch as a write-ahead-log record payload. One record per append
 * (not per line) keeps framing and checksums off the per-line hot path.
 *
 * Payload: u8 version, u16 tenant length + tenant, u32 stream count, then per stream: u32 labels
 * JSON length + JSON, u32 n, n × f64 ts, n × u32 line byte lengths, the line bytes.
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';

const VERSION = 1;

/** One stream's part of an append, as the store keeps it after validation. */
export interface WalStream {
  labels: Labels;
  /** The labels as JSON text, computed once per stream (the store caches it). */
  labelsJson: string;
  ts: Micros[];
  lines: string[];
}

/** The UTF-8 bytes of one stream's lines inside a payload, and each line's length. */
export interface WalLineBytes {
  body: Buffer;
  lens: Uint32Array;
}

export interface WalBatch {
  tenant: string;
  streams: Array<WalStream & { bytes: WalLineBytes }>;
}

export interface EncodedWalBatch {
  payload: Buffer;
  /** Per stream (same order), views into `payload`: chunks are built from these without re-encoding. */
  bytes: WalLineBytes[];
}

/** Encodes a batch into one payload Buffer. Never throws for valid strings. */
export function encodeWalBatch(tenant: string, streams: ReadonlyArray<WalStream>): EncodedWalBatch {
  let size = 1 + 2 + Buffer.byteLength(tenant) + 4;
  const lens: Uint32Array[] = [];
  const totals: number[] = [];
  for (const s of streams) {
    const n = s.lines.length;
    const l = new Uint32Array(n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const b = Buffer.byteLength(s.lines[i] as string);
      l[i] = b;
      bytes += b;
    }
    lens.push(l);
    totals.push(bytes);
    size += 4 + Buffer.byteLength(s.labelsJson) + 4 + n * 12 + bytes;
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  buf.writeUInt8(VERSION, o++);
  const tl = buf.write(tenant, o + 2);
  buf.writeUInt16LE(tl, o);
  o += 2 + tl;
  buf.writeUInt32LE(streams.length, o);
  o += 4;
  const out: WalLineBytes[] = [];
  for (let si = 0; si < streams.length; si++) {
    const s = streams[si] as WalStream;
    const l = lens[si] as Uint32Array;
    const jl = buf.write(s.labelsJson, o + 4);
    buf.writeUInt32LE(jl, o);
    o += 4 + jl;
    const n = s.lines.length;
    buf.writeUInt32LE(n, o);
    o += 4;
    for (let i = 0; i < n; i++, o += 8) buf.writeDoubleLE(s.ts[i] as number, o);
    for (let i = 0; i < n; i++, o += 4) buf.writeUInt32LE(l[i] as number, o);
    // One write of the joined lines beats n small writes (the lengths above delimit them).
    const start = o;
    o += buf.write(n === 1 ? (s.lines[0] as string) : s.lines.join(''), o);
    if (o - start !== totals[si]) throw new Error('line byte lengths changed while encoding'); // lone surrogates
    out.push({ body: buf.subarray(start, o), lens: l });
  }
  return { payload: buf, bytes: out };
}

/** Decodes a payload; throws a RangeError/SyntaxError on malformed input (the caller counts it). */
export function decodeWalBatch(buf: Buffer): WalBatch {
  let o = 0;
  const version = buf.readUInt8(o++);
  if (version !== VERSION) throw new RangeError(`unknown WAL record version ${version}`);
  const tl = buf.readUInt16LE(o);
  o += 2;
  const tenant = buf.toString('utf8', o, o + tl);
  o += tl;
  const ns = buf.readUInt32LE(o);
  o += 4;
  const streams: WalBatch['streams'] = [];
  for (let si = 0; si < ns; si++) {
    const jl = buf.readUInt32LE(o);
    o += 4;
    if (o + jl > buf.length) throw new RangeError('labels past the end of the record');
    const labelsJson = buf.toString('utf8', o, o + jl);
    o += jl;
    const labels = JSON.parse(labelsJson) as Labels;
    const n = buf.readUInt32LE(o);
    o += 4;
    if (o + n * 12 > buf.length) throw new RangeError('entries past the end of the record');
    const ts = new Array<number>(n);
    for (let i = 0; i < n; i++, o += 8) ts[i] = buf.readDoubleLE(o);
    let lo = o + n * 4;
    const bodyStart = lo;
    const lines = new Array<string>(n);
    const lens = new Uint32Array(n);
    for (let i = 0; i < n; i++, o += 4) {
      const len = buf.readUInt32LE(o);
      if (lo + len > buf.length) throw new RangeError('line past the end of the record');
      lines[i] = buf.toString('utf8', lo, lo + len);
      lens[i] = len;
      lo += len;
    }
    o = lo;
    streams.push({ labels, labelsJson, ts, lines, bytes: { body: buf.subarray(bodyStart, lo), lens } });
  }
  return { tenant, streams };
}
