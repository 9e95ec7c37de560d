/**
 * The Gorilla chunk codec (Facebook's paper, as Prometheus's XOR chunks use it): timestamps as
 * delta-of-delta in variable bit buckets, values XOR-ed with the previous one. Values travel as
 * raw 64-bit words, never through float arithmetic, so NaN payloads (StaleNaN), -0 and ±Inf
 * round-trip bit-exactly.
 *
 * Layout: u8 value encoding, u16 LE sample count, f64 LE first timestamp, then the bit stream.
 * Encoding 0 (Gorilla): first value raw 64 bits, then per sample the timestamp dod and the value
 * XOR. Encoding 1 + e (decimal, e = 0..6): every value is an integer m times 10^-e exactly (what
 * parsing "1234.56" from an exposition gives); the first m in 64 bits, then per sample the
 * timestamp dod and the dod of m. Decimal wins on node_cpu_seconds_total-like counters and
 * two-decimal gauges (~2 B instead of ~7.5 B per sample); the encoder keeps the smaller.
 */
const HEADER = 11;
const MAX_DECIMALS = 6;
const TWO32 = 4294967296;

class BitWriter {
  buf = new Uint8Array(256);
  bit = 0;

  write(value: number, n: number): void {
    if (((this.bit + n + 7) >>> 3) + HEADER > this.buf.length - 8) {
      const nb = new Uint8Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
    }
    while (n > 0) {
      const free = 8 - (this.bit & 7);
      const take = free < n ? free : n;
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      const i = HEADER + (this.bit >>> 3);
      this.buf[i] = (this.buf[i] as number) | (bits << (free - take));
      n -= take;
      this.bit += take;
    }
  }

  /** The low `n` (<= 64) bits of hi:lo. */
  write64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.write(n - 32 === 32 ? hi : hi & ((1 << (n - 32)) - 1), n - 32);
      this.write(lo, 32);
    } else this.write(n === 32 ? lo : lo & ((1 << n) - 1), n);
  }
}

/**
 * Reads the bit stream through a 24-bit window (one unaligned big-endian load per field, past the
 * end as zeros): the decoder peeks a window, decodes a field's prefix from its top bits with one
 * count-leading-ones, and advances. 24 bits, not 32: every value returned stays a small integer,
 * which V8 passes without allocating (a 32-bit one returned from a call is a heap number); wider
 * fields are read in two 16-bit halves by `r32`. Reading past the stream's end is caught per
 * sample by the decoder (`check`), so a truncated chunk throws instead of decoding zeros.
 */
class BitReader {
  pos: number;
  private readonly limit: number;

  constructor(private readonly buf: Uint8Array) {
    this.pos = HEADER * 8;
    this.limit = buf.length * 8;
  }

  /** The next 24 bits (not consumed). */
  peek(): number {
    const b = this.buf;
    const i = this.pos >>> 3;
    if (i + 3 < b.length) {
      const w = ((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number);
      return (w << (this.pos & 7)) >>> 8;
    }
    let w = 0;
    for (let k = 0; k < 4; k++) w = (w << 8) | (i + k < b.length ? (b[i + k] as number) : 0);
    return (w << (this.pos & 7)) >>> 8;
  }

  /** Reads n <= 24 bits. */
  read(n: number): number {
    if (n === 0) return 0;
    const w = this.peek();
    this.pos += n;
    return w >>> (24 - n);
  }

  check(): void {
    if (this.pos > this.limit) throw new Error(`chunk truncated at bit ${this.pos - HEADER * 8}`);
  }
}

/** Reads n <= 32 bits as an unsigned number (two reads when wider than the window). */
function r32(r: BitReader, n: number): number {
  return n <= 24 ? r.read(n) : r.read(n - 16) * 65536 + r.read(16);
}

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}
function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}
function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

// Delta-of-delta buckets: prefix bits and payload widths. Prometheus uses 14/17/20 bits; small
// first buckets cost the same for exact intervals and a third as much for a few ms of scrape jitter.
const BUCKETS: Array<[prefix: number, prefixBits: number, bits: number]> = [
  [0b10, 2, 4],
  [0b110, 3, 10],
  [0b1110, 4, 20],
];

function writeDod(w: BitWriter, dod: number): void {
  if (dod === 0) {
    w.write(0, 1);
    return;
  }
  for (const [prefix, pb, bits] of BUCKETS) {
    const half = 2 ** (bits - 1);
    if (dod >= -half && dod < half) {
      w.write(prefix, pb);
      w.write(dod < 0 ? dod + 2 ** bits : dod, bits);
      return;
    }
  }
  w.write(0b1111, 4);
  writeInt64(w, dod);
}

function readDod(r: BitReader): number {
  // Unrolled BUCKETS (4, 10, 20 bits; any change there must change this too): the decoder's
  // hottest function. The prefix is the count of leading one bits of the window.
  const w = r.peek();
  let v: number;
  switch (Math.clz32(~(w << 8))) {
    case 0:
      r.pos += 1;
      return 0;
    case 1:
      r.pos += 6;
      return (v = (w >>> 18) & 0xf) >= 8 ? v - 16 : v;
    case 2:
      r.pos += 13;
      return (v = (w >>> 11) & 0x3ff) >= 512 ? v - 1024 : v;
    case 3:
      r.pos += 24;
      return (v = w & 0xfffff) >= 524288 ? v - 1048576 : v;
    default: {
      r.pos += 4;
      const hi = r32(r, 32) | 0;
      return hi * TWO32 + r32(r, 32);
    }
  }
}

/**
 * Encodes samples (timestamps integer ms ascending, at most 65535) into one chunk. Called by the
 * metrics store when a head is cut; throws on input it cannot represent (non-integer timestamps).
 */
export function encodeChunk(t: ArrayLike<number>, v: Float64Array, n: number = t.length): Buffer {
  if (n < 1 || n > 0xffff) throw new RangeError(`chunk sample count out of range: ${n}`);
  for (let i = 0; i < n; i++) if (!Number.isSafeInteger(t[i])) throw new RangeError(`timestamp ${i} not an integer: ${t[i]}`);
  const xor = encodeXor(t, v, n);
  const e = decimalExponent(v, n);
  if (e < 0) return xor;
  const dec = encodeDecimal(t, v, n, e);
  return dec.length < xor.length ? dec : xor;
}

/** Smallest e such that every value is exactly m / 10^e with an integer |m| <= 2^50; -1 when none. */
function decimalExponent(v: Float64Array, n: number): number {
  let e = 0;
  let scale = 1;
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    if (!Number.isFinite(x) || Object.is(x, -0)) return -1;
    for (;;) {
      const m = Math.round(x * scale);
      // |m| <= 2^50 keeps every delta and delta-of-delta (up to 4 |m|) an exact integer double
      if (Math.abs(m) <= 2 ** 50 && m / scale === x) break;
      if (++e > MAX_DECIMALS) return -1;
      scale *= 10;
    }
  }
  return e;
}

function writeTimestamps(w: BitWriter, t: ArrayLike<number>, i: number, st: { prevT: number; prevDelta: number }): void {
  const ti = t[i] as number;
  const delta = ti - st.prevT;
  writeDod(w, delta - st.prevDelta);
  st.prevDelta = delta;
  st.prevT = ti;
}

function finish(w: BitWriter, encoding: number, n: number, t0: number): Buffer {
  const out = Buffer.from(w.buf.buffer, 0, HEADER + ((w.bit + 7) >>> 3));
  out.writeUInt8(encoding, 0);
  out.writeUInt16LE(n, 1);
  out.writeDoubleLE(t0, 3);
  return out;
}

function encodeDecimal(t: ArrayLike<number>, v: Float64Array, n: number, e: number): Buffer {
  const w = new BitWriter();
  const scale = 10 ** e;
  const st = { prevT: t[0] as number, prevDelta: 0 };
  let prevM = Math.round((v[0] as number) * scale);
  let prevD = 0;
  writeInt64(w, prevM);
  for (let i = 1; i < n; i++) {
    writeTimestamps(w, t, i, st);
    const m = Math.round((v[i] as number) * scale);
    const d = m - prevM;
    writeDod(w, d - prevD);
    prevD = d;
    prevM = m;
  }
  return finish(w, 1 + e, n, t[0] as number);
}

function writeInt64(w: BitWriter, x: number): void {
  const hi = Math.floor(x / TWO32);
  w.write(hi >>> 0, 32);
  w.write(x - hi * TWO32, 32);
}

function encodeXor(t: ArrayLike<number>, v: Float64Array, n: number): Buffer {
  const w = new BitWriter();
  const vv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const st = { prevT: t[0] as number, prevDelta: 0 };
  let prevHi = vv.getUint32(4, true);
  let prevLo = vv.getUint32(0, true);
  let leading = -1;
  let trailing = 0;
  w.write64(prevHi, prevLo, 64);
  for (let i = 1; i < n; i++) {
    writeTimestamps(w, t, i, st);
    const hi = vv.getUint32(i * 8 + 4, true);
    const lo = vv.getUint32(i * 8, true);
    const xh = (hi ^ prevHi) >>> 0;
    const xl = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xh === 0 && xl === 0) {
      w.write(0, 1);
      continue;
    }
    w.write(1, 1);
    let lz = clz64(xh, xl);
    const tz = ctz64(xh, xl);
    if (lz > 31) lz = 31;
    if (leading >= 0 && lz >= leading && tz >= trailing) {
      w.write(0, 1);
      writeShifted(w, xh, xl, trailing, 64 - leading - trailing);
    } else {
      leading = lz;
      trailing = tz;
      const sig = 64 - lz - tz;
      w.write(1, 1);
      w.write(lz, 5);
      w.write(sig === 64 ? 0 : sig, 6);
      writeShifted(w, xh, xl, tz, sig);
    }
  }
  return finish(w, 0, n, t[0] as number);
}

function writeShifted(w: BitWriter, hi: number, lo: number, s: number, n: number): void {
  if (s >= 32) {
    lo = hi >>> (s - 32);
    hi = 0;
  } else if (s > 0) {
    lo = ((lo >>> s) | (hi << (32 - s))) >>> 0;
    hi = hi >>> s;
  }
  w.write64(hi, lo, n);
}

/** Decoded samples of a chunk; `v` keeps every bit pattern written. */
export interface DecodedChunk {
  t: Float64Array;
  v: Float64Array;
}

/** Number of samples in an encoded chunk (without decoding it). */
export function chunkCount(buf: Uint8Array): number {
  return (buf[1] as number) | ((buf[2] as number) << 8);
}

const SCRATCH = new Float64Array(1);
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes a chunk written by encodeChunk. Throws (with the bit offset) on a truncated chunk. */
export function decodeChunk(buf: Uint8Array): DecodedChunk {
  if (buf.length < HEADER + 8) throw new Error(`chunk too short: ${buf.length} bytes`);
  const encoding = buf[0] as number;
  const n = (buf[1] as number) | ((buf[2] as number) << 8);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const r = new BitReader(buf);
  // The first timestamp through a scratch word: no Buffer or DataView per chunk.
  for (let k = 0; k < 8; k++) SCRATCH_BYTES[LE ? k : 7 - k] = buf[3 + k] as number;
  let prevT = SCRATCH[0] as number;
  let delta = 0;
  if (encoding > 1 + MAX_DECIMALS) throw new Error(`unknown chunk encoding ${encoding}`);
  if (encoding > 0) {
    const scale = 10 ** (encoding - 1);
    let m = (r32(r, 32) | 0) * TWO32 + r32(r, 32);
    r.check();
    let d = 0;
    t[0] = prevT;
    v[0] = m / scale;
    for (let i = 1; i < n; i++) {
      delta += readDod(r);
      prevT += delta;
      t[i] = prevT;
      d += readDod(r);
      m += d;
      v[i] = m / scale;
      r.check();
    }
    return { t, v };
  }
  const out = new DataView(v.buffer);
  let hi = r32(r, 32);
  let lo = r32(r, 32);
  r.check();
  t[0] = prevT;
  out.setUint32(4, hi, true);
  out.setUint32(0, lo, true);
  let leading = 0;
  let sig = 0;
  for (let i = 1; i < n; i++) {
    delta += readDod(r);
    prevT += delta;
    t[i] = prevT;
    const w = r.peek();
    if (w >>> 23 === 0) r.pos += 1;
    else {
      if ((w & 0x400000) === 0) r.pos += 2;
      else {
        // control '11', then 5 bits of leading zeros and 6 of significant bits
        leading = (w >>> 17) & 0x1f;
        sig = (w >>> 11) & 0x3f;
        if (sig === 0) sig = 64;
        r.pos += 13;
      }
      const trailing = 64 - leading - sig;
      let xh = 0;
      let xl = 0;
      // Inline r32: its results exceed small integers, and a call returning one allocates.
      if (sig > 32) {
        const nh = sig - 32;
        xh = nh <= 24 ? r.read(nh) : r.read(nh - 16) * 65536 + r.read(16);
        xl = r.read(16) * 65536 + r.read(16);
      } else xl = sig <= 24 ? r.read(sig) : r.read(sig - 16) * 65536 + r.read(16);
      // shift left by trailing
      if (trailing >= 32) {
        xh = (xl << (trailing - 32)) >>> 0;
        xl = 0;
      } else if (trailing > 0) {
        xh = ((xh << trailing) | (xl >>> (32 - trailing))) >>> 0;
        xl = (xl << trailing) >>> 0;
      }
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    r.check();
    out.setUint32(i * 8 + 4, hi, true);
    out.setUint32(i * 8, lo, true);
  }
  return { t, v };
}
