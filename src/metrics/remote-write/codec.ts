/**
 * The two encodings of the remote write sender:
 * - a buffer record (one per append, or per ~1 MiB of it) that keeps sample values as their raw
 *   8 bytes, so staleness markers (a NaN payload) survive the disk buffer byte-exact, and each
 *   series' labels already in protobuf form with their shard hash;
 * - the remote write 1.0 WriteRequest protobuf (prompb/remote.proto, types.proto) built from
 *   slices of those records without decoding labels or values again.
 *
 * Record layout (little endian):
 *   u8 version(1) | u16 tenant length | tenant utf8 | u32 series count |
 *   per series: u32 labels length | labels (repeated TimeSeries.labels fields) | u32 hash |
 *               u32 n | n × f64 timestamp ms | n × 8 value bytes
 */
import type { Labels } from '../../core/labels.js';

const VERSION = 1;

/** One series of a record, as views into the record's bytes. */
export interface RecordSeries {
  /** The series' `TimeSeries.labels` fields (sorted by name), ready to copy into a request. */
  labels: Buffer;
  /** FNV-1a of `labels`: the shard a series goes to, so one series always keeps its order. */
  hash: number;
  n: number;
  /** Offsets in `buf` of the timestamps (f64) and raw values (8 bytes each). */
  tOff: number;
  vOff: number;
  buf: Buffer;
}

export interface DecodedRecord {
  tenant: string;
  series: RecordSeries[];
  samples: number;
}

/** Bytes of `n` as a protobuf varint (also used by the benches' request encoder). */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` as a protobuf varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Protobuf int64 varint: negatives take 10 bytes of two's complement. */
function int64Size(n: number): number {
  return n >= 0 ? varintSize(n) : 10;
}

function writeInt64(buf: Buffer, pos: number, n: number): number {
  if (n >= 0) return writeVarint(buf, pos, n);
  let v = BigInt.asUintN(64, BigInt(n));
  for (let i = 0; i < 9; i++) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** FNV-1a (32 bit) of bytes. */
function fnv1a(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** True when every char is ASCII, so the UTF-8 length is the string length (the common case). */
function asciiLength(str: string): number {
  for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) > 0x7f) return Buffer.byteLength(str, 'utf8');
  return str.length;
}

/** Writes `str` (of UTF-8 length `len`) at `pos`; short ASCII strings are copied in JS, cheaper than a native call. */
function writeString(out: Buffer, pos: number, str: string, len: number): number {
  if (len !== str.length) return pos + out.write(str, pos, len, 'utf8');
  for (let i = 0; i < len; i++) out[pos + i] = str.charCodeAt(i);
  return pos + len;
}

/** The `TimeSeries.labels` fields of `labels`, sorted by name as Prometheus sends them; empty values are left out. */
export function encodeLabels(labels: Readonly<Labels>): Buffer {
  const names = Object.keys(labels).sort();
  const lens: number[] = [];
  let total = 0;
  for (const name of names) {
    const value = labels[name] as string;
    if (value === '') continue;
    const nl = asciiLength(name);
    const vl = asciiLength(value);
    const inner = 1 + varintSize(nl) + nl + 1 + varintSize(vl) + vl;
    lens.push(nl, vl, inner);
    total += 1 + varintSize(inner) + inner;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  let k = 0;
  for (const name of names) {
    const value = labels[name] as string;
    if (value === '') continue;
    const nl = lens[k++] as number;
    const vl = lens[k++] as number;
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, lens[k++] as number);
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, nl);
    pos = writeString(out, pos, name, nl);
    out[pos++] = 0x12;
    pos = writeVarint(out, pos, vl);
    pos = writeString(out, pos, value, vl);
  }
  return out;
}

/** A series ready to be written into a record. `v` is a Float64Array so NaN payloads are intact. */
export interface RecordInput {
  labels: Buffer;
  t: ArrayLike<number>;
  v: Float64Array;
}

/** Bytes `encodeRecord` will need for these series. */
export function recordSize(tenant: string, series: ReadonlyArray<RecordInput>): number {
  let size = 1 + 2 + Buffer.byteLength(tenant) + 4;
  for (const s of series) size += 12 + s.labels.length + s.t.length * 16;
  return size;
}

/** Encodes series (already relabeled and validated) as one buffer record. */
export function encodeRecord(tenant: string, series: ReadonlyArray<RecordInput>): Buffer {
  const out = Buffer.allocUnsafe(recordSize(tenant, series));
  let pos = out.writeUInt8(VERSION, 0);
  const tb = Buffer.from(tenant, 'utf8');
  pos = out.writeUInt16LE(tb.length, pos);
  pos += tb.copy(out, pos);
  pos = out.writeUInt32LE(series.length, pos);
  for (const s of series) {
    pos = out.writeUInt32LE(s.labels.length, pos);
    pos += s.labels.copy(out, pos);
    pos = out.writeUInt32LE(fnv1a(s.labels), pos);
    const n = s.t.length;
    pos = out.writeUInt32LE(n, pos);
    for (let i = 0; i < n; i++) pos = out.writeDoubleLE(s.t[i] as number, pos);
    // The values' own bytes, never a float round trip through a JS number.
    pos += Buffer.from(s.v.buffer, s.v.byteOffset, n * 8).copy(out, pos);
  }
  return out;
}

/** Decodes a record; throws an Error naming the byte offset when it is malformed. */
export function decodeRecord(buf: Buffer): DecodedRecord {
  const need = (pos: number, n: number, what: string) => {
    if (pos + n > buf.length) throw new Error(`remote write record truncated in ${what} at byte ${pos} (record is ${buf.length} bytes)`);
  };
  need(0, 3, 'header');
  if (buf[0] !== VERSION) throw new Error(`unknown remote write record version ${String(buf[0])} at byte 0`);
  const tl = buf.readUInt16LE(1);
  need(3, tl + 4, 'tenant');
  const tenant = buf.toString('utf8', 3, 3 + tl);
  let pos = 3 + tl;
  const count = buf.readUInt32LE(pos);
  pos += 4;
  const series: RecordSeries[] = [];
  let samples = 0;
  for (let i = 0; i < count; i++) {
    need(pos, 4, `series ${i} labels length`);
    const ll = buf.readUInt32LE(pos);
    pos += 4;
    need(pos, ll + 8, `series ${i} labels`);
    const labels = buf.subarray(pos, pos + ll);
    pos += ll;
    const hash = buf.readUInt32LE(pos);
    const n = buf.readUInt32LE(pos + 4);
    pos += 8;
    need(pos, n * 16, `series ${i} samples`);
    series.push({ labels, hash, n, tOff: pos, vOff: pos + n * 8, buf });
    pos += n * 16;
    samples += n;
  }
  if (pos !== buf.length) throw new Error(`remote write record has ${buf.length - pos} trailing bytes at byte ${pos}`);
  return { tenant, series, samples };
}

/** A run of samples `[from, to)` of one record series, as a shard batches it. */
export interface SeriesSlice {
  s: RecordSeries;
  from: number;
  to: number;
}

/** The timestamp (ms) of sample `i` of a record series. */
export function sampleTime(s: RecordSeries, i: number): number {
  return s.buf.readDoubleLE(s.tOff + i * 8);
}

/**
 * Encodes the uncompressed WriteRequest for `slices`: one TimeSeries per slice, values copied as
 * their raw bytes.
 */
export function encodeWriteRequest(slices: ReadonlyArray<SeriesSlice>): Buffer {
  let total = 0;
  const bodies: number[] = [];
  for (const { s, from, to } of slices) {
    let body = s.labels.length;
    for (let i = from; i < to; i++) body += 12 + int64Size(sampleTime(s, i)); // 0x12 len | 0x09 f64(8) | 0x10 varint
    bodies.push(body);
    total += 1 + varintSize(body) + body;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  slices.forEach(({ s, from, to }, k) => {
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, bodies[k] as number);
    pos += s.labels.copy(out, pos);
    for (let i = from; i < to; i++) {
      const t = sampleTime(s, i);
      out[pos++] = 0x12;
      out[pos++] = 10 + int64Size(t);
      out[pos++] = 0x09;
      const at = s.vOff + i * 8;
      for (let b = 0; b < 8; b++) out[pos++] = s.buf[at + b] as number;
      out[pos++] = 0x10;
      pos = writeInt64(out, pos, t);
    }
  });
  return out;
}
