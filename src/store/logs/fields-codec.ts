/**
 * Binary form of per-entry structured metadata (`fields`), shared by the WAL record and the chunk
 * fields block: per entry a varint pair count (0 = no fields), then per pair varint key byte
 * length, key bytes, varint value byte length, value bytes. Most entries have none, so an entry
 * without fields costs one byte, and a batch without any costs nothing (callers skip the column).
 */

/** One entry's structured metadata; undefined when it has none. */
export type EntryFields = Record<string, string> | undefined;

/** Structured metadata of consecutive entries, aligned with their ts/lines. */
export type FieldsColumn = Array<EntryFields>;

/** True when at least one of entries [from, to) has fields. */
export function anyFields(fields: ReadonlyArray<EntryFields> | undefined, from = 0, to = fields?.length ?? 0): boolean {
  if (!fields) return false;
  const end = Math.min(to, fields.length);
  for (let i = from; i < end; i++) if (fields[i] !== undefined) return true;
  return false;
}

/** UTF-8 bytes of keys and values of one entry's fields (what max_structured_metadata_size limits). */
export function fieldsBytes(f: Record<string, string>): number {
  let n = 0;
  for (const k in f) n += Buffer.byteLength(k) + Buffer.byteLength(f[k] as string);
  return n;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    buf[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[o++] = v;
  return o;
}

/** Encodes entries [0, n) of `fields` (missing ones as none). Never throws for string keys/values. */
export function encodeFields(fields: ReadonlyArray<EntryFields>, n: number): Buffer {
  let size = 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    if (!f) {
      size++;
      continue;
    }
    let pairs = 0;
    for (const k in f) {
      const kb = Buffer.byteLength(k);
      const vb = Buffer.byteLength(f[k] as string);
      size += varintSize(kb) + kb + varintSize(vb) + vb;
      pairs++;
    }
    size += varintSize(pairs);
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    if (!f) {
      buf[o++] = 0;
      continue;
    }
    o = writeVarint(buf, o, Object.keys(f).length);
    for (const k in f) {
      const v = f[k] as string;
      o = writeVarint(buf, o, Buffer.byteLength(k));
      o += buf.write(k, o);
      o = writeVarint(buf, o, Buffer.byteLength(v));
      o += buf.write(v, o);
    }
  }
  return buf;
}

function readVarint(buf: Buffer, at: { o: number }, end: number): number {
  let v = 0;
  let mul = 1;
  let b: number;
  do {
    if (at.o >= end) throw new RangeError('fields: varint past the end');
    b = buf[at.o++] as number;
    v += (b & 0x7f) * mul;
    mul *= 0x80;
  } while (b & 0x80);
  return v;
}

/**
 * Decodes `n` entries from buf[start, end); returns them and where decoding stopped. Throws a
 * RangeError when the bytes run out or a length points past `end` (callers map it to corruption).
 */
export function decodeFields(buf: Buffer, start: number, end: number, n: number): { fields: FieldsColumn; end: number } {
  const fields: FieldsColumn = new Array<EntryFields>(n);
  const at = { o: start };
  for (let i = 0; i < n; i++) {
    const pairs = readVarint(buf, at, end);
    if (pairs === 0) {
      fields[i] = undefined;
      continue;
    }
    const f: Record<string, string> = {};
    for (let p = 0; p < pairs; p++) {
      const kl = readVarint(buf, at, end);
      if (at.o + kl > end) throw new RangeError('fields: key past the end');
      const k = buf.toString('utf8', at.o, (at.o += kl));
      const vl = readVarint(buf, at, end);
      if (at.o + vl > end) throw new RangeError('fields: value past the end');
      const v = buf.toString('utf8', at.o, (at.o += vl));
      // A plain assignment to "__proto__" would set the prototype and drop the pair.
      if (k === '__proto__') Object.defineProperty(f, k, { value: v, enumerable: true, writable: true, configurable: true });
      else f[k] = v;
    }
    fields[i] = f;
  }
  return { fields, end: at.o };
}
