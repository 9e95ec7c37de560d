/**
 * Splits a syslog TCP/TLS byte stream into frames (RFC 6587), detecting the framing per frame:
 * a frame starting with a digit is octet-counted (`<len> <msg>`), anything else runs to the next
 * LF. Bad frames are reported and skipped by resynchronising at the next LF; the connection is
 * never given up. Frame boundaries are found with `indexOf` on the Buffer; a partial frame is
 * carried over to the next chunk (bounded by the maximum message size).
 */

const LF = 0x0a;
const SP = 0x20;

/** Why bytes were skipped; used as the `discarded` reason. */
export type FrameProblem = 'bad_octet_count' | 'truncated_frame';

export interface FrameSink {
  /** One complete frame: `buf[start, end)`; `truncated` when it was cut at the size limit. */
  frame(buf: Buffer, start: number, end: number, truncated: boolean): void;
  /** Bytes that are not a frame were skipped; `detail` says where and why. */
  problem(kind: FrameProblem, detail: string): void;
}

const enum State {
  /** Between frames. */
  Start,
  /** Inside an octet-counted frame whose body is longer than the limit: skipping `skip` bytes. */
  SkipCount,
  /** Inside a newline-framed message (or garbage) to be skipped up to the next LF. */
  SkipLine,
}

export class SyslogFramer {
  /** The unfinished frame: parts kept apart until it can complete, so slow senders cost O(n). */
  private carry: Buffer[] = [];
  private carryLen = 0;
  /**
   * What the unfinished frame waits for: > 0 = that many bytes in all; -1 = a LF (or the size
   * limit); 0 = unknown (the octet count itself is incomplete).
   */
  private need = 0;
  private state = State.Start;
  private skip = 0;
  /** Bytes consumed on this stream so far, for error offsets. */
  private offset = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly sink: FrameSink,
  ) {}

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carryLen > 0) {
      const total = this.carryLen + chunk.length;
      const waiting =
        (this.need > 0 && total < this.need) ||
        (this.need === -1 && total < this.maxMessageBytes && chunk.indexOf(LF) < 0);
      if (waiting) {
        this.carry.push(chunk);
        this.carryLen = total;
        this.offset += chunk.length;
        return;
      }
      this.carry.push(chunk);
      buf = Buffer.concat(this.carry, total);
      this.offset -= this.carryLen;
      this.carry = [];
      this.carryLen = 0;
    }
    this.need = 0;
    const end = buf.length;
    let p = 0;
    const max = this.maxMessageBytes;
    while (p < end) {
      if (this.state === State.SkipCount) {
        const n = Math.min(this.skip, end - p);
        this.skip -= n;
        p += n;
        if (this.skip === 0) this.state = State.Start;
        continue;
      }
      if (this.state === State.SkipLine) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0) {
          p = end;
          break;
        }
        p = nl + 1;
        this.state = State.Start;
        continue;
      }
      const b = buf[p] as number;
      // Blank separators between frames (a LF after an octet-counted frame, CR LF, NUL padding).
      if (b === LF || b === 0x0d || b === 0 || b === SP) {
        p++;
        continue;
      }
      if (b >= 0x30 && b <= 0x39) {
        // Octet counting: up to 9 digits, SP, then exactly that many bytes.
        let q = p;
        let len = 0;
        while (q < end && q - p < 10) {
          const c = buf[q] as number;
          if (c < 0x30 || c > 0x39) break;
          len = len * 10 + (c - 0x30);
          q++;
        }
        if (q === end && q - p < 10) break; // the count itself is incomplete: need stays 0
        if (buf[q] !== SP || q - p > 9 || len === 0) {
          this.sink.problem('bad_octet_count', `byte ${this.offset + p}: expected "<length> <message>", got ${JSON.stringify(buf.toString('latin1', p, Math.min(end, p + 16)))}`);
          this.state = State.SkipLine;
          continue;
        }
        const body = q + 1;
        if (len > max) {
          if (end - body < max) {
            this.need = body - p + max; // wait until the kept part is complete
            break;
          }
          this.sink.frame(buf, body, body + max, true);
          this.skip = len - max;
          this.state = State.SkipCount;
          p = body + max;
          continue;
        }
        if (end - body < len) {
          this.need = body - p + len;
          break;
        }
        this.sink.frame(buf, body, body + len, false);
        p = body + len;
        continue;
      }
      const nl = buf.indexOf(LF, p);
      if (nl < 0) {
        if (end - p >= max) {
          this.sink.frame(buf, p, p + max, true);
          this.state = State.SkipLine;
          p = end;
        }
        this.need = -1;
        break;
      }
      if (nl - p > max) {
        this.sink.frame(buf, p, p + max, true);
        p = nl + 1;
        continue;
      }
      this.sink.frame(buf, p, nl, false);
      p = nl + 1;
    }
    if (p < end) {
      this.carry = [Buffer.from(buf.subarray(p))];
      this.carryLen = end - p;
    }
    this.offset += end;
  }

  /**
   * The stream ended: a last newline frame without its LF is delivered; an incomplete
   * octet-counted frame is reported as truncated.
   */
  end(): void {
    const c = Buffer.concat(this.carry, this.carryLen);
    this.carry = [];
    this.carryLen = 0;
    if (c.length === 0 || this.state !== State.Start) return;
    const b = c[0] as number;
    if (b >= 0x30 && b <= 0x39) {
      this.sink.problem('truncated_frame', `byte ${this.offset - c.length}: the connection closed inside an octet-counted frame (${c.length} bytes of it received)`);
      return;
    }
    this.sink.frame(c, 0, c.length, false);
  }
}
