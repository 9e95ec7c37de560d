/**
 * Cuts a byte stream into lines with Buffer operations: newline positions come from native
 * `indexOf` and each complete line is decoded straight from the read buffer (no Buffer slices, no
 * copies). Offsets are file byte positions, for checkpoints.
 */
import type { LineColumns } from '../../pipeline/multiline/aggregator.js';

export type LongLineMode = 'split' | 'truncate';
export type FileEncoding = 'utf8' | 'latin1';

export interface LineSplitterOptions {
  maxLineBytes: number;
  onLongLine: LongLineMode;
  encoding: FileEncoding;
}

const NL = 0x0a;

/** Largest cut ≤ `max` that does not split a UTF-8 sequence (so no U+FFFD appears at a piece boundary). */
function charBoundary(buf: Buffer, max: number, encoding: FileEncoding): number {
  if (encoding !== 'utf8' || max >= buf.length) return Math.min(max, buf.length);
  let cut = max;
  // Step back over at most 3 continuation bytes (10xxxxxx) to the start of the sequence.
  for (let k = 0; k < 3 && cut > 0 && ((buf[cut] as number) & 0xc0) === 0x80; k++) cut--;
  return cut > 0 ? cut : max;
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

/**
 * One per file. `push` appends the complete lines found in a chunk to `out` (with the byte offset
 * just past each line's newline) and keeps the incomplete tail (copied: the caller reuses its read
 * buffer). Lines longer than `maxLineBytes` are split into pieces or truncated, never held whole;
 * `longLines` and `truncatedBytes` count them for the caller's metrics. Invalid UTF-8 becomes U+FFFD.
 */
export class LineSplitter {
  private readonly opts: LineSplitterOptions;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** File offset of the first pending byte. */
  private pendingStart = 0;
  /** Truncate mode: the current line already has its kept head; drop bytes until its newline. */
  private skipping = false;
  /** Lines that were split or truncated since the caller last read and zeroed this. */
  longLines = 0;
  /** Bytes dropped by truncation since the caller last read and zeroed this. */
  truncatedBytes = 0;

  constructor(opts: LineSplitterOptions) {
    this.opts = opts;
  }

  /** Bytes of an incomplete last line held in memory. */
  get partialBytes(): number {
    return this.pendingLen;
  }

  /** Forgets everything held (the caller rewinds the file to a checkpoint). */
  reset(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
  }

  /** Feeds `data`, whose first byte is at file offset `pos`. */
  push(data: Buffer, pos: number, out: LineColumns): void {
    let start = 0;
    if (this.pendingLen > 0 || this.skipping) {
      const nl = data.indexOf(NL);
      if (nl < 0) {
        this.addPending(data, pos, out);
        return;
      }
      this.addPending(data.subarray(0, nl), pos, out);
      this.finishPending(pos + nl + 1, out);
      start = nl + 1;
    }
    const last = data.lastIndexOf(NL);
    if (last >= start) {
      this.splitRun(data, start, last, pos, out);
      start = last + 1;
    }
    if (start < data.length) this.addPending(data.subarray(start), pos + start, out);
  }

  /** Emits the held incomplete line as a line of its own (the file stopped growing); false if none. */
  flushPartial(out: LineColumns): boolean {
    if (this.pendingLen === 0) {
      this.skipping = false;
      return false;
    }
    this.finishPending(this.pendingStart + this.pendingLen, out);
    return true;
  }

  /**
   * Complete lines in data[start..last] (last is a newline), each decoded on its own: one big
   * decode + split would allocate strings over V8's regular-object limit (~128 KiB) in large-object
   * space (measured ~50x slower per byte), and split's sliced strings would pin that parent.
   */
  private splitRun(data: Buffer, start: number, last: number, pos: number, out: LineColumns): void {
    const max = this.opts.maxLineBytes;
    const enc = this.opts.encoding;
    const lines = out.lines;
    const ends = out.ends;
    let s = start;
    while (s <= last) {
      const nl = data.indexOf(NL, s);
      if (nl - s > max) {
        // Rare path: a line too long to keep whole is split or truncated by addPending.
        this.addPending(data.subarray(s, nl), pos + s, out);
        this.finishPending(pos + nl + 1, out);
      } else {
        const e = nl > s && data[nl - 1] === 13 ? nl - 1 : nl;
        lines.push(data.toString(enc, s, e));
        ends.push(pos + nl + 1);
      }
      s = nl + 1;
    }
  }

  /** Holds bytes of an unfinished line, emitting pieces / dropping bytes beyond the limit. */
  private addPending(bytes: Buffer, pos: number, out: LineColumns): void {
    if (bytes.length === 0) return;
    const max = this.opts.maxLineBytes;
    if (this.skipping) {
      this.truncatedBytes += bytes.length;
      return;
    }
    if (this.pendingLen === 0) this.pendingStart = pos;
    if (this.pendingLen + bytes.length <= max) {
      this.pending.push(Buffer.from(bytes)); // copy: the caller reuses its read buffer
      this.pendingLen += bytes.length;
      return;
    }
    let all = Buffer.concat([...this.pending, bytes]);
    this.pending = [];
    this.pendingLen = 0;
    this.longLines++;
    if (this.opts.onLongLine === 'truncate') {
      const cut = charBoundary(all, max, this.opts.encoding);
      this.truncatedBytes += all.length - cut;
      this.pending = [Buffer.from(all.subarray(0, cut))];
      this.pendingLen = cut;
      this.skipping = true;
      return;
    }
    let start = this.pendingStart;
    while (all.length > max) {
      const cut = charBoundary(all, max, this.opts.encoding);
      out.lines.push(all.toString(this.opts.encoding, 0, cut));
      out.ends.push(start + cut);
      start += cut;
      all = all.subarray(cut);
    }
    if (all.length > 0) {
      this.pending = [Buffer.from(all)];
      this.pendingLen = all.length;
      this.pendingStart = start;
    }
  }

  /** The held line is complete; it ends at file offset `end`. */
  private finishPending(end: number, out: LineColumns): void {
    const buf = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    if (this.pendingLen > 0 || this.skipping) {
      out.lines.push(stripCr(buf.toString(this.opts.encoding)));
      out.ends.push(end);
    }
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
  }
}
