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

class BitReader {
  bit = 0;
  constructor(private readonly buf: Uint8Array) {}

  /** read(1) without the loop: most control bits of a chunk are single bits. */
  bit1(): number {
    const i = HEADER + (this.bit >>> 3);
    if (i >= this.buf.length) throw new Error(`chunk truncated at bit ${this.bit}`);
    const b = ((this.buf[i] as number) >>> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return b;
  }

  read(n: number): number {
    const bit = this.bit;
    const s = bit & 7;
    if (n + s <= 32) {
      // One big-endian 32-bit window holds all n bits: no per-byte loop (a chunk's fields are <= 25 bits but for 32-bit halves).
      const b = this.buf;
      const i = HEADER + (bit >>> 3);
      if (HEADER + ((bit + n - 1) >>> 3) >= b.length) throw new Error(`chunk truncated at bit ${bit}`);
      // Bytes past the end read as undefined, which the shifts turn into 0.
      const w = ((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number);
      this.bit = bit + n;
      return ((w << s) >>> (32 - n)) >>> 0;
    }
    let v = 0;
    while (n > 0) {
      const i = HEADER + (this.bit >>> 3);
      if (i >= this.buf.length) throw new Error(`chunk truncated at bit ${this.bit}`);
      const free = 8 - (this.bit & 7);
      const take = free < n ? free : n;
      const bits = ((this.buf[i] as number) >>> (free - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      n -= take;
      this.bit += take;
    }
    return v;
  }
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
  // Unrolled BUCKETS (4, 10, 20 bits; any change there must change this too): the decoder's hottest function.
  if (r.bit1() === 0) return 0;
  let v: number;
  if (r.bit1() === 0) return (v = r.read(4)) >= 8 ? v - 16 : v;
  if (r.bit1() === 0) return (v = r.read(10)) >= 512 ? v - 1024 : v;
  if (r.bit1() === 0) return (v = r.read(20)) >= 524288 ? v - 1048576 : v;
  const hi = r.read(32) | 0;
  return hi * TWO32 + r.read(32);
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

/** Decodes a chunk written by encodeChunk. Throws (with the bit offset) on a truncated chunk. */
export function decodeChunk(buf: Uint8Array): DecodedChunk {
  if (buf.length < HEADER + 8) throw new Error(`chunk too short: ${buf.length} bytes`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const encoding = b.readUInt8(0);
  const n = b.readUInt16LE(1);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const out = new DataView(v.buffer);
  const r = new BitReader(buf);
  let prevT = b.readDoubleLE(3);
  let delta = 0;
  if (encoding > 1 + MAX_DECIMALS) throw new Error(`unknown chunk encoding ${encoding}`);
  if (encoding > 0) {
    const scale = 10 ** (encoding - 1);
    let m = (r.read(32) | 0) * TWO32 + r.read(32);
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
    }
    return { t, v };
  }
  let hi = r.read(32);
  let lo = r.read(32);
  t[0] = prevT;
  out.setUint32(4, hi, true);
  out.setUint32(0, lo, true);
  let leading = 0;
  let sig = 0;
  for (let i = 1; i < n; i++) {
    delta += readDod(r);
    prevT += delta;
    t[i] = prevT;
    if (r.bit1() === 1) {
      if (r.bit1() === 1) {
        leading = r.read(5);
        sig = r.read(6);
        if (sig === 0) sig = 64;
      }
      const trailing = 64 - leading - sig;
      let xh = 0;
      let xl = 0;
      if (sig > 32) {
        xh = r.read(sig - 32);
        xl = r.read(32);
      } else xl = r.read(sig);
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
    out.setUint32(i * 8 + 4, hi, true);
    out.setUint32(i * 8, lo, true);
  }
  return { t, v };
}
