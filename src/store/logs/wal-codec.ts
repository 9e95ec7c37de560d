/**
 * Binary encoding of one append batch as a write-ahead-log record payload. One record per append
 * (not per line) keeps framing and checksums off the per-line hot path.
 *
 * Payload: u8 version, u16 tenant length + tenant, u32 stream count, then per stream: u32 labels
 * JSON length + JSON, u32 n, n × f64 ts, n × u32 line byte lengths, the line bytes.
 * Version 2 (written only when some entry has structured metadata, so field-less batches keep the
 * version 1 bytes and cost) adds per stream, after the line bytes: u8 flag (1 = has fields), and
 * when set u32 byte length + the fields of its n entries (fields-codec.ts). Both versions replay.
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import { anyFields, decodeFields, encodeFields, type FieldsColumn } from './fields-codec.js';

const VERSION = 1;
const VERSION_FIELDS = 2;

/**
 * Buffer's own UTF-8 writer (what `buf.write` calls after checking and defaulting its arguments;
 * long-standing, used by protobufjs). Per line, the wrapper's checks cost ~4x the copy itself.
 */
type Utf8Write = (this: Buffer, s: string, offset: number) => number;
const proto = Buffer.prototype as unknown as { utf8Write?: Utf8Write };
const utf8Write: Utf8Write = typeof proto.utf8Write === 'function' ? proto.utf8Write : function (this: Buffer, s: string, offset: number) {
  return this.write(s, offset);
};

/** One stream's part of an append, as the store keeps it after validation. */
export interface WalStream {
  labels: Labels;
  /** The labels as JSON text, computed once per stream (the store caches it). */
  labelsJson: string;
  ts: Micros[];
  lines: string[];
  /** Structured metadata per entry, aligned with ts; absent (or all undefined) when none. */
  fields?: FieldsColumn | undefined;
}

/** The UTF-8 bytes of one stream's lines inside a payload, and each line's length. */
export interface WalLineBytes {
  body: Buffer;
  lens: Uint32Array;
}

/** A decoded payload: lines stay bytes (the head keeps bytes; queries decode them). */
export interface WalBatch {
  tenant: string;
  streams: Array<Omit<WalStream, 'lines'> & { bytes: WalLineBytes }>;
}

export interface EncodedWalBatch {
  payload: Buffer;
  /** Per stream (same order), views into `payload`: chunks are built from these without re-encoding. */
  bytes: WalLineBytes[];
}

/**
 * Encodes a batch into one payload Buffer. Never throws for valid strings.
 *
 * Each line is written straight into the payload (no joined string: one over ~128 KiB would be
 * allocated in V8's slow large-object space; no per-line Buffer.byteLength). The buffer is sized
 * by UTF-16 length, exact for ASCII; a line that might not fit is measured, and the buffer grows.
 */
export function encodeWalBatch(tenant: string, streams: ReadonlyArray<WalStream>): EncodedWalBatch {
  let size = 1 + 2 + Buffer.byteLength(tenant) + 4;
  let withFields: Array<Buffer | undefined> | undefined;
  for (let si = 0; si < streams.length; si++) {
    const f = (streams[si] as WalStream).fields;
    if (!anyFields(f)) continue;
    withFields ??= new Array<Buffer | undefined>(streams.length).fill(undefined);
    const blob = encodeFields(f as FieldsColumn, (streams[si] as WalStream).lines.length);
    withFields[si] = blob;
    size += 4 + blob.length;
  }
  if (withFields) size += streams.length;
  for (const s of streams) {
    const n = s.lines.length;
    let chars = 0;
    for (let i = 0; i < n; i++) chars += (s.lines[i] as string).length;
    size += 4 + Buffer.byteLength(s.labelsJson) + 4 + n * 12 + chars;
  }
  let buf: Buffer = Buffer.allocUnsafe(size);
  let o = 0;
  buf.writeUInt8(withFields ? VERSION_FIELDS : VERSION, o++);
  const tl = buf.write(tenant, o + 2);
  buf.writeUInt16LE(tl, o);
  o += 2 + tl;
  buf.writeUInt32LE(streams.length, o);
  o += 4;
  const spans: Array<{ start: number; end: number; lens: Uint32Array }> = [];
  for (let si = 0; si < streams.length; si++) {
    const s = streams[si] as WalStream;
    const jb = Buffer.byteLength(s.labelsJson);
    const n = s.lines.length;
    if (o + 8 + jb + n * 12 > buf.length) buf = grow(buf, o, o + 8 + jb + n * 12 + 1024);
    const jl = buf.write(s.labelsJson, o + 4);
    buf.writeUInt32LE(jl, o);
    o += 4 + jl;
    buf.writeUInt32LE(n, o);
    o += 4;
    for (let i = 0; i < n; i++, o += 8) buf.writeDoubleLE(s.ts[i] as number, o);
    const lensAt = o;
    o += n * 4;
    const lens = new Uint32Array(n);
    const start = o;
    for (let i = 0; i < n; i++) {
      const line = s.lines[i] as string;
      // At most 3 UTF-8 bytes per UTF-16 unit: with that much room the write cannot be cut short.
      if (buf.length - o < line.length * 3) {
        const need = Buffer.byteLength(line);
        if (buf.length - o < need) buf = grow(buf, o, Math.max(buf.length * 2, o + need + 1024));
      }
      const w = line.length === 0 ? 0 : utf8Write.call(buf, line, o);
      lens[i] = w;
      buf.writeUInt32LE(w, lensAt + i * 4);
      o += w;
    }
    spans.push({ start, end: o, lens });
    if (withFields) {
      const blob = withFields[si];
      if (o + 5 + (blob?.length ?? 0) > buf.length) buf = grow(buf, o, o + 5 + (blob?.length ?? 0) + 1024);
      buf.writeUInt8(blob ? 1 : 0, o++);
      if (blob) {
        buf.writeUInt32LE(blob.length, o);
        o += 4 + blob.copy(buf, o + 4);
      }
    }
  }
  const payload = o === buf.length ? buf : buf.subarray(0, o);
  return { payload, bytes: spans.map((sp) => ({ body: payload.subarray(sp.start, sp.end), lens: sp.lens })) };
}

/** A bigger copy of buf[0, used). */
function grow(buf: Buffer, used: number, size: number): Buffer {
  const next = Buffer.allocUnsafe(size);
  buf.copy(next, 0, 0, used);
  return next;
}

/** Decodes a payload; throws a RangeError/SyntaxError on malformed input (the caller counts it). */
export function decodeWalBatch(buf: Buffer): WalBatch {
  let o = 0;
  const version = buf.readUInt8(o++);
  if (version !== VERSION && version !== VERSION_FIELDS) throw new RangeError(`unknown WAL record version ${version}`);
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
    const lens = new Uint32Array(n);
    for (let i = 0; i < n; i++, o += 4) {
      const len = buf.readUInt32LE(o);
      if (lo + len > buf.length) throw new RangeError('line past the end of the record');
      lens[i] = len;
      lo += len;
    }
    o = lo;
    const ws: WalBatch['streams'][number] = { labels, labelsJson, ts, bytes: { body: buf.subarray(bodyStart, lo), lens } };
    if (version === VERSION_FIELDS) {
      const flag = buf.readUInt8(o++);
      if (flag === 1) {
        const fl = buf.readUInt32LE(o);
        o += 4;
        if (o + fl > buf.length) throw new RangeError('fields past the end of the record');
        const dec = decodeFields(buf, o, o + fl, n);
        if (dec.end !== o + fl) throw new RangeError('fields length mismatch');
        ws.fields = dec.fields;
        o += fl;
      } else if (flag !== 0) throw new RangeError(`bad fields flag ${flag}`);
    }
    streams.push(ws);
  }
  return { tenant, streams };
}
