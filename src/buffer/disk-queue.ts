/**
 * A durable FIFO of opaque records in segment files: the disk buffer of a sink (and of the
 * remote-write sender). Records are `[magic u32][length u32][crc32 u32][payload]`, little endian.
 * `append` resolves once the records are fsynced (concurrent appends share one fsync); readers get
 * records in order and `ack` them in any order; the acknowledged position (the end of the longest
 * acknowledged prefix) is persisted, and segments behind it are deleted. After a crash, reading
 * resumes at the persisted position: records handed out but not acknowledged are read again
 * (at least once). A torn tail is truncated on open; a corrupt record anywhere is reported with its
 * file and byte offset, counted and skipped by resynchronizing on the next valid record; nothing
 * else is lost and no manual deletion is ever needed.
 */
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const RECORD_MAGIC = 0x4247_4c56; // "VLGB" little endian
export const RECORD_HEADER = 12;
/** Largest record accepted; a length above it in a header is corruption. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface CorruptionReport {
  file: string;
  offset: number;
  reason: string;
  /** Bytes skipped to reach the next valid record (or the end of the segment). */
  skipped: number;
}

export interface DiskQueueOptions {
  dir: string;
  /** Bound on unacknowledged bytes (record headers included). */
  maxBytes: number;
  /** Segment file size before a new one is started; default min(32 MiB, max(64 KiB, maxBytes / 8)). */
  segmentBytes?: number;
  onCorrupt?: (r: CorruptionReport) => void;
  /** Bytes of just-written payloads kept for the reader (default 32 MiB; 0 reads every record back from the file). */
  recentBytes?: number;
}

export interface QueuedRecord {
  seq: number;
  payload: Buffer;
}

interface Position {
  seg: number;
  offset: number;
}

interface InFlight {
  seq: number;
  end: Position;
  bytes: number;
  done: boolean;
}

const segName = (n: number) => `${String(n).padStart(16, '0')}.seg`;

/** Parses one record at `off` of `buf`; returns its total size, or a reason it is not valid there. */
export function checkRecord(buf: Buffer, off: number): { size: number; payload: Buffer } | { invalid: string; needMore?: boolean } {
  if (buf.length - off < RECORD_HEADER) return { invalid: 'truncated header', needMore: true };
  const magic = buf.readUInt32LE(off);
  if (magic !== RECORD_MAGIC) return { invalid: `bad magic 0x${magic.toString(16)}` };
  const len = buf.readUInt32LE(off + 4);
  if (len > MAX_RECORD_BYTES) return { invalid: `length ${len} over the ${MAX_RECORD_BYTES}-byte limit` };
  if (buf.length - off < RECORD_HEADER + len) return { invalid: `record of ${len} bytes truncated`, needMore: true };
  const payload = buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
  const want = buf.readUInt32LE(off + 8);
  if (crc32(payload) !== want) return { invalid: 'checksum mismatch' };
  return { size: RECORD_HEADER + len, payload };
}

/** Frames one payload as a record. */
/** The header of the record holding `payload` (written before it; the payload is not copied). */
export function recordHeader(payload: Buffer): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER);
  h.writeUInt32LE(RECORD_MAGIC, 0);
  h.writeUInt32LE(payload.length, 4);
  h.writeUInt32LE(crc32(payload), 8);
  return h;
}

/** A whole record (header and payload) in one buffer. */
export function frameRecord(payload: Buffer): Buffer {
  return Buffer.concat([recordHeader(payload), payload]);
}

/** Payloads of records this process wrote, kept for the reader (see DiskQueue.recent). */
const RECENT_BYTES = 32 * 1024 * 1024;

function writeAll(fd: number, b: Buffer, pos: number): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off, pos + off);
}

/** The offset of the next valid record in `buf` after `from`, or -1. */
export function resync(buf: Buffer, from: number): number {
  const m = Buffer.allocUnsafe(4);
  m.writeUInt32LE(RECORD_MAGIC, 0);
  let i = buf.indexOf(m, from);
  while (i >= 0) {
    const r = checkRecord(buf, i);
    if ('size' in r) return i;
    i = buf.indexOf(m, i + 1);
  }
  return -1;
}

export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^\d{16}\.seg$/.test(n)).map((n) => Number(n.slice(0, 16))).sort((a, b) => a - b);
}

export function readAckPosition(dir: string): Position | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'ack.json'), 'utf8')) as { seg?: unknown; offset?: unknown };
    if (typeof v.seg === 'number' && typeof v.offset === 'number' && v.seg >= 0 && v.offset >= 0) return { seg: v.seg, offset: v.offset };
  } catch {
    // Missing or torn (a crash between write and rename on some filesystems): start at the oldest
    // segment, which can only cause duplicates, never loss.
  }
  return undefined;
}

export class DiskQueue {
  private segments: number[] = [];
  private segSizes = new Map<number, number>();
  private writeSeg = 0;
  private writeFd = -1;
  /** End of the data written to the write segment (the next record goes here). */
  private writeEnd = 0;
  /** End of the fsynced data in the write segment: readers stop here. */
  private durableEnd = 0;
  private read: Position = { seg: 0, offset: 0 };
  private ackPos: Position = { seg: 0, offset: 0 };
  private readonly inflight: InFlight[] = [];
  private nextSeq = 1;
  private unacked = 0;
  private pending: Array<{ payloads: Buffer[]; headers: Buffer[]; bytes: number; resolve: () => void; reject: (e: Error) => void }> = [];
  /**
   * Payloads of records written by this process and not yet read, by `seg:offset` of the record,
   * oldest first, bounded by RECENT_BYTES. A reader that keeps up gets them without reading the
   * file back (and the very Buffers that were appended, so callers can recognise them); the file
   * holds the same bytes, fsynced, for the next start.
   */
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;
  private flushing = false;
  private readFh: { seg: number; fh: FileHandle } | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly spaceWaiters = new Set<() => void>();
  private ackDirty = false;
  private closed = false;
  private reading = false;
  readonly segmentBytes: number;
  corruptions = 0;

  private constructor(private readonly o: DiskQueueOptions) {
    this.segmentBytes = o.segmentBytes ?? Math.min(32 * 1024 * 1024, Math.max(64 * 1024, Math.floor(o.maxBytes / 8)));
  }

  /** Opens (creating) the queue in `dir`, truncating a torn tail of the newest segment. */
  static open(o: DiskQueueOptions): DiskQueue {
    const q = new DiskQueue(o);
    q.init();
    return q;
  }

  private init(): void {
    mkdirSync(this.o.dir, { recursive: true });
    this.segments = listSegments(this.o.dir);
    for (const s of this.segments) this.segSizes.set(s, statSync(join(this.o.dir, segName(s))).size);
    const ack = readAckPosition(this.o.dir);
    const first = this.segments[0];
    if (ack && this.segments.includes(ack.seg)) this.ackPos = { seg: ack.seg, offset: Math.min(ack.offset, this.segSizes.get(ack.seg) ?? 0) };
    else if (ack && first !== undefined && ack.seg < first) this.ackPos = { seg: first, offset: 0 };
    else if (ack && first !== undefined && ack.seg > (this.segments[this.segments.length - 1] ?? 0)) this.ackPos = { seg: this.segments[this.segments.length - 1] ?? 0, offset: this.segSizes.get(this.segments[this.segments.length - 1] ?? 0) ?? 0 };
    else this.ackPos = { seg: first ?? 1, offset: 0 };
    const last = this.segments[this.segments.length - 1];
    if (last === undefined) {
      this.newSegment(1);
    } else {
      this.repairTail(last);
      this.writeSeg = last;
      // Positioned writes (not O_APPEND): after a failed write the file can be cut back to its
      // last durable end, so later records stay where the reader expects them.
      this.writeFd = openSync(join(this.o.dir, segName(last)), 'r+');
      this.writeEnd = this.segSizes.get(last) ?? 0;
      this.durableEnd = this.writeEnd;
    }
    // Segments wholly behind the acknowledged position are garbage from before a crash.
    for (const s of this.segments.filter((x) => x < this.ackPos.seg)) void unlink(join(this.o.dir, segName(s))).catch(() => undefined);
    this.segments = this.segments.filter((x) => x >= this.ackPos.seg);
    this.read = { ...this.ackPos };
    this.unacked = 0;
    for (const s of this.segments) this.unacked += (this.segSizes.get(s) ?? 0) - (s === this.ackPos.seg ? this.ackPos.offset : 0);
  }

  /** Truncates trailing bytes of the newest segment that are not a complete valid record (a torn write). */
  private repairTail(seg: number): void {
    const path = join(this.o.dir, segName(seg));
    const buf = readFileSync(path);
    let off = 0;
    let validEnd = 0;
    while (off < buf.length) {
      const r = checkRecord(buf, off);
      if ('size' in r) {
        off += r.size;
        validEnd = off;
        continue;
      }
      const next = resync(buf, off + 1);
      if (next < 0) break;
      off = next; // a corrupt record in the middle: the reader reports and skips it
    }
    if (validEnd < buf.length) {
      this.o.onCorrupt?.({ file: path, offset: validEnd, reason: 'torn write at the end of the newest segment (truncated)', skipped: buf.length - validEnd });
      this.corruptions++;
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, validEnd);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.segSizes.set(seg, validEnd);
    }
  }

  private newSegment(n: number): void {
    // Open first: if that fails the current segment stays usable (never a closed, reusable fd).
    const fd = openSync(join(this.o.dir, segName(n)), 'w');
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeSeg = n;
    this.writeFd = fd;
    this.writeEnd = 0;
    this.durableEnd = 0;
    this.segments.push(n);
    this.segSizes.set(n, 0);
    // The new file's directory entry must survive a crash too.
    const dfd = openSync(this.o.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  /** Unacknowledged bytes (what `maxBytes` bounds). */
  usedBytes(): number {
    return this.unacked;
  }

  /** True when `bytes` more would exceed the bound (an empty queue always takes one record). */
  wouldOverflow(bytes: number): boolean {
    return this.unacked > 0 && this.unacked + bytes + RECORD_HEADER > this.o.maxBytes;
  }

  /** Resolves when acknowledgements freed space (or the queue closed). */
  waitForSpace(signal?: AbortSignal): Promise<void> {
    return this.wait(this.spaceWaiters, signal);
  }

  /** Resolves when new records are readable (or the queue closed). */
  waitForData(signal?: AbortSignal): Promise<void> {
    return this.wait(this.waiters, signal);
  }

  private wait(set: Set<() => void>, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        set.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(set: Set<() => void>): void {
    for (const w of [...set]) w();
  }

  /** Appends payloads as records; resolves once they are fsynced. Concurrent calls share fsyncs. */
  append(payloads: Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('disk buffer is closed'));
    const big = payloads.find((p) => p.length > MAX_RECORD_BYTES);
    if (big) return Promise.reject(new Error(`a record of ${big.length} bytes is over the ${MAX_RECORD_BYTES}-byte limit of the disk buffer`));
    const headers = payloads.map(recordHeader);
    const bytes = payloads.reduce((n, p) => n + RECORD_HEADER + p.length, 0);
    this.unacked += bytes;
    return new Promise((resolve, reject) => {
      this.pending.push({ payloads, headers, bytes, resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  /**
   * Writes the pending records (positioned writes into the page cache, synchronous and quick),
   * then fsyncs on libuv's thread pool, so a multi-megabyte fsync never stalls the event loop
   * (other sources, push receivers, /metrics). Readers see records only once they are durable
   * (`durableEnd`); appends that arrive meanwhile share the next fsync.
   */
  private flush(): void {
    this.flushing = true;
    const group = this.pending;
    this.pending = [];
    const startSeg = this.writeSeg;
    const startEnd = this.writeEnd;
    const written: Array<[string, Buffer]> = [];
    try {
      for (const g of group) {
        if (this.writeEnd > 0 && this.writeEnd + g.bytes > this.segmentBytes) {
          fsyncSync(this.writeFd);
          this.segSizes.set(this.writeSeg, this.writeEnd);
          this.newSegment(this.writeSeg + 1);
        }
        let pos = this.writeEnd;
        g.payloads.forEach((p, i) => {
          writeAll(this.writeFd, g.headers[i] as Buffer, pos);
          writeAll(this.writeFd, p, pos + RECORD_HEADER);
          written.push([`${this.writeSeg}:${pos}`, p]);
          pos += RECORD_HEADER + p.length;
        });
        this.writeEnd = pos;
      }
    } catch (e) {
      this.failFlush(group, e as Error, startSeg, startEnd);
      return;
    }
    const seg = this.writeSeg;
    const end = this.writeEnd;
    fsync(this.writeFd, (err) => {
      if (err) {
        this.failFlush(group, err, startSeg, startEnd);
        return;
      }
      this.segSizes.set(seg, end);
      this.durableEnd = end;
      for (const [k, p] of written) this.keepRecent(k, p);
      for (const g of group) g.resolve();
      this.wake(this.waiters);
      this.flushNext();
    });
  }

  /**
   * A failed (possibly partial) write or fsync, e.g. a full disk: cut the segment back to its last
   * durable end so the next records land where the reader expects them; the group's appends reject.
   */
  private failFlush(group: DiskQueue['pending'], e: Error, startSeg: number, startEnd: number): void {
    const back = this.writeSeg === startSeg ? startEnd : 0;
    try {
      ftruncateSync(this.writeFd, back);
    } catch {
      // Nothing more to do: the reader resynchronizes past any garbage it finds.
    }
    this.writeEnd = back;
    this.durableEnd = back;
    this.segSizes.set(this.writeSeg, back);
    for (const g of group) {
      this.unacked -= g.bytes;
      g.reject(e);
    }
    this.flushNext();
  }

  private flushNext(): void {
    // Appends that arrived during this flush are picked up on the next turn, sharing one fsync.
    if (this.pending.length > 0) setImmediate(() => this.flush());
    else this.flushing = false;
  }

  private keepRecent(key: string, payload: Buffer): void {
    if ((this.o.recentBytes ?? RECENT_BYTES) <= 0) return;
    this.recent.set(key, payload);
    this.recentBytes += payload.length;
    for (const [k, p] of this.recent) {
      if (this.recentBytes <= (this.o.recentBytes ?? RECENT_BYTES)) break;
      this.recent.delete(k);
      this.recentBytes -= p.length;
    }
  }

  /** The payload written by this process at the read position, if still kept (removed from the cache). */
  private takeRecent(limit: number): Buffer | undefined {
    if (this.recent.size === 0) return undefined;
    const key = `${this.read.seg}:${this.read.offset}`;
    const p = this.recent.get(key);
    if (p === undefined || this.read.offset + RECORD_HEADER + p.length > limit) return undefined;
    this.recent.delete(key);
    this.recentBytes -= p.length;
    // Whatever was kept before this record has been read already (the reader only moves forward).
    for (const [k, q] of this.recent) {
      const [seg, off] = k.split(':').map(Number) as [number, number];
      if (seg > this.read.seg || (seg === this.read.seg && off > this.read.offset)) break;
      this.recent.delete(k);
      this.recentBytes -= q.length;
    }
    return p;
  }

  private limitOf(seg: number): number {
    return seg === this.writeSeg ? this.durableEnd : (this.segSizes.get(seg) ?? 0);
  }

  /**
   * The next records after those already handed out, up to `maxRecords` / about `maxBytes` (at
   * least one record); empty when nothing new is durable yet. Not reentrant: one reader.
   */
  async next(maxRecords: number, maxBytes: number): Promise<QueuedRecord[]> {
    if (this.reading) throw new Error('DiskQueue.next is not reentrant');
    this.reading = true;
    const out: QueuedRecord[] = [];
    try {
      let bytes = 0;
      while (out.length < maxRecords && bytes < maxBytes && !this.closed) {
        const limit = this.limitOf(this.read.seg);
        if (this.read.offset >= limit) {
          if (this.read.seg >= this.writeSeg) break;
          const following = this.segments.find((s) => s > this.read.seg);
          if (following === undefined) break;
          this.read = { seg: following, offset: 0 };
          continue;
        }
        const kept = this.takeRecent(limit);
        if (kept) {
          const size = RECORD_HEADER + kept.length;
          const end = { seg: this.read.seg, offset: this.read.offset + size };
          const seq = this.nextSeq++;
          this.inflight.push({ seq, end, bytes: size, done: false });
          out.push({ seq, payload: kept });
          bytes += size;
          this.read = end;
          this.advanceAck();
          continue;
        }
        const fh = await this.readHandle(this.read.seg);
        const want = Math.min(limit - this.read.offset, Math.max(READ_CHUNK, maxBytes - bytes + RECORD_HEADER));
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, this.read.offset);
        const chunk = buf.subarray(0, bytesRead);
        let off = 0;
        while (off < chunk.length && out.length < maxRecords && bytes < maxBytes) {
          const r = checkRecord(chunk, off);
          if ('size' in r) {
            const end = { seg: this.read.seg, offset: this.read.offset + off + r.size };
            const seq = this.nextSeq++;
            this.inflight.push({ seq, end, bytes: r.size, done: false });
            out.push({ seq, payload: Buffer.from(r.payload) });
            bytes += r.size;
            off += r.size;
            continue;
          }
          if (r.needMore && this.read.offset + chunk.length < limit) break; // record continues past this chunk
          if (r.needMore && off > 0) break; // re-read from this record's start with a larger chunk
          // Corrupt (or a partial record that can never complete): resynchronize.
          const whole = await this.readRange(fh, this.read.offset + off, limit);
          const next = resync(whole, 1);
          const skipped = next < 0 ? whole.length : next;
          this.corruptions++;
          this.o.onCorrupt?.({ file: join(this.o.dir, segName(this.read.seg)), offset: this.read.offset + off, reason: r.invalid, skipped });
          // Skipped bytes are acknowledged like a delivered record so the position can move past them.
          this.inflight.push({ seq: this.nextSeq++, end: { seg: this.read.seg, offset: this.read.offset + off + skipped }, bytes: skipped, done: true });
          off += skipped;
          break;
        }
        if (off === 0 && out.length === 0 && chunk.length > 0) {
          // A single record larger than the chunk: read exactly it.
          const len = chunk.length >= 8 ? chunk.readUInt32LE(4) : 0;
          const whole = await this.readRange(fh, this.read.offset, Math.min(limit, this.read.offset + RECORD_HEADER + len));
          const r = checkRecord(whole, 0);
          if ('size' in r) {
            const seq = this.nextSeq++;
            this.inflight.push({ seq, end: { seg: this.read.seg, offset: this.read.offset + r.size }, bytes: r.size, done: false });
            out.push({ seq, payload: Buffer.from(r.payload) });
            bytes += r.size;
            off = r.size;
          } else {
            const rest = await this.readRange(fh, this.read.offset, limit);
            const next = resync(rest, 1);
            const skipped = Math.max(1, next < 0 ? rest.length : next);
            this.corruptions++;
            this.o.onCorrupt?.({ file: join(this.o.dir, segName(this.read.seg)), offset: this.read.offset, reason: r.invalid, skipped });
            this.inflight.push({ seq: this.nextSeq++, end: { seg: this.read.seg, offset: this.read.offset + skipped }, bytes: skipped, done: true });
            off = skipped;
          }
        }
        this.read = { seg: this.read.seg, offset: this.read.offset + off };
        this.advanceAck();
        if (off === 0) break;
      }
      return out;
    } catch (e) {
      // Records already handed out must reach the caller, or nothing could ever acknowledge them;
      // the error comes back on the next call.
      if (out.length > 0) return out;
      throw e;
    } finally {
      this.reading = false;
    }
  }

  private async readRange(fh: FileHandle, from: number, to: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, to - from));
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  }

  private async readHandle(seg: number): Promise<FileHandle> {
    if (this.readFh?.seg === seg) return this.readFh.fh;
    const old = this.readFh;
    this.readFh = undefined;
    await old?.fh.close();
    this.readFh = { seg, fh: await open(join(this.o.dir, segName(seg)), 'r') };
    return this.readFh.fh;
  }

  /** Marks a record delivered; the persisted position advances over the acknowledged prefix. */
  ack(seq: number): void {
    const f = this.inflight.find((x) => x.seq === seq);
    if (!f || f.done) return;
    f.done = true;
    this.advanceAck();
  }

  private advanceAck(): void {
    let moved = false;
    while (this.inflight.length > 0 && this.inflight[0]?.done) {
      const f = this.inflight.shift() as InFlight;
      this.ackPos = f.end;
      this.unacked -= f.bytes;
      moved = true;
    }
    if (!moved) return;
    if (this.unacked < 0) this.unacked = 0;
    const dead = this.segments.filter((s) => s < this.ackPos.seg);
    if (dead.length > 0) {
      this.segments = this.segments.filter((s) => s >= this.ackPos.seg);
      for (const s of dead) {
        this.segSizes.delete(s);
        void unlink(join(this.o.dir, segName(s))).catch(() => undefined);
      }
    }
    // Persisted at once (write + rename, no fsync: microseconds): after a kill -9 only the requests
    // in flight are sent again. A power loss may lose it, which means duplicates, never loss.
    this.ackDirty = true;
    this.persistAck();
    this.wake(this.spaceWaiters);
  }

  private persistAck(): void {
    if (!this.ackDirty) return;
    this.ackDirty = false;
    const tmp = join(this.o.dir, 'ack.json.tmp');
    writeFileSync(tmp, JSON.stringify(this.ackPos));
    renameSync(tmp, join(this.o.dir, 'ack.json'));
  }

  /** Records handed out and not yet acknowledged. */
  inFlight(): number {
    return this.inflight.filter((f) => !f.done).length;
  }

  /** True when every durable record has been read (handed out). */
  drained(): boolean {
    return this.read.seg === this.writeSeg && this.read.offset >= this.durableEnd;
  }

  /** Waits for pending appends, persists the acknowledged position and closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing) await new Promise((r) => setImmediate(r));
    this.closed = true;
    this.persistAck();
    await this.readFh?.fh.close();
    this.readFh = undefined;
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = -1;
    this.wake(this.waiters);
    this.wake(this.spaceWaiters);
  }
}
