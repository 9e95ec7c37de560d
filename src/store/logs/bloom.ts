/**
 * A per-chunk bloom filter of byte trigrams. `|=` is a case-sensitive substring match, so tokens
 * would be unsafe (a needle may start or end mid-token); every trigram of a matching line's needle
 * is a trigram of the line, so a chunk missing any needle trigram cannot match. Needles shorter
 * than 3 bytes cannot be ruled out.
 *
 * The per-trigram false-positive rate is deliberately high (~15 %, 4 bits per distinct trigram,
 * 2 hashes): a needle of n bytes tests n-2 trigrams, so an 8-byte needle's chunk false-positive
 * rate is ~0.15^6 ≈ 1e-5, while the filter stays ~5-10 % of the compressed chunk.
 */

const BITS_PER_TRIGRAM = 4;
const HASHES = 2;
const SEEN_WORDS = (1 << 24) >>> 5; // one bit per possible trigram

function h1(t: number): number {
  return Math.imul(t ^ (t >>> 13), 0x9e3779b1) >>> 0;
}
function h2(t: number): number {
  return (Math.imul(t ^ (t >>> 7), 0x85ebca77) | 1) >>> 0;
}

/**
 * Collects the distinct trigrams of a chunk's lines. Reusable (call `build` then start over); it
 * holds a 2 MiB exact set so sizing the filter needs no guess and adding a line is a byte loop.
 */
export class TrigramCollector {
  private readonly seen = new Int32Array(SEEN_WORDS);
  private list = new Int32Array(1 << 16);
  private n = 0;

  /** Adds the trigrams of bytes [start, end) of `buf` (one line: trigrams never cross lines). */
  add(buf: Uint8Array, start: number, end: number): void {
    if (end - start < 3) return;
    let t = ((buf[start] as number) << 8) | (buf[start + 1] as number);
    const seen = this.seen;
    for (let i = start + 2; i < end; i++) {
      t = ((t << 8) | (buf[i] as number)) & 0xffffff;
      const w = t >>> 5;
      const bit = 1 << (t & 31);
      const cur = seen[w] as number;
      if ((cur & bit) === 0) {
        seen[w] = cur | bit;
        if (this.n === this.list.length) {
          const grown = new Int32Array(this.list.length * 2);
          grown.set(this.list);
          this.list = grown;
        }
        this.list[this.n++] = t;
      }
    }
  }

  /** The filter of everything added since the last build (in a buffer from `alloc`, if given); resets the collector. */
  build(alloc?: (size: number) => Buffer): Buffer {
    const n = this.n;
    const bits = Math.max(64, Math.ceil((n * BITS_PER_TRIGRAM) / 8) * 8);
    const out = alloc ? alloc(4 + bits / 8).fill(0) : Buffer.alloc(4 + bits / 8);
    out.writeUInt32LE(bits, 0);
    const list = this.list;
    const seen = this.seen;
    for (let i = 0; i < n; i++) {
      const t = list[i] as number;
      seen[t >>> 5] = 0;
      const a = h1(t);
      const b = h2(t);
      for (let k = 0; k < HASHES; k++) {
        const pos = (a + k * b) % bits;
        out[4 + (pos >>> 3)] = (out[4 + (pos >>> 3)] as number) | (1 << (pos & 7));
      }
    }
    this.n = 0;
    return out;
  }
}

/**
 * False only when no line of the chunk the filter was built from can contain `needle` (UTF-8
 * bytes). A malformed filter answers true (never skips data because of a bad filter).
 */
export function bloomMayContain(bloom: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length < 3 || bloom.length < 12) return true;
  const bits = (bloom[0] as number) | ((bloom[1] as number) << 8) | ((bloom[2] as number) << 16) | ((bloom[3] as number) << 24);
  if (bits <= 0 || 4 + bits / 8 !== bloom.length) return true;
  let t = ((needle[0] as number) << 8) | (needle[1] as number);
  for (let i = 2; i < needle.length; i++) {
    t = ((t << 8) | (needle[i] as number)) & 0xffffff;
    const a = h1(t);
    const b = h2(t);
    for (let k = 0; k < HASHES; k++) {
      const pos = (a + k * b) % bits;
      if (((bloom[4 + (pos >>> 3)] as number) & (1 << (pos & 7))) === 0) return false;
    }
  }
  return true;
}
