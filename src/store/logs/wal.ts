/**
 * The write-ahead log: append-only segment files of framed records (magic, length, crc32,
 * payload), fsynced with group commit. A record's LSN is a global byte position (segment files are
 * named by their first LSN), so "everything up to LSN x is in chunks" is one number per stream.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

const MAGIC = 0x4c574756; // "VGWL" little-endian
const HEADER = 12;
/** Segments roll at this size so checkpointing can delete old ones. */
export const WAL_SEGMENT_BYTES = 64 * 1024 * 1024;

export type WalCorruptionKind = 'wal_torn_tail' | 'wal_bad_record';

export interface WalHooks {
  logger: Logger;
  /** Called once per problem found while replaying (counted by the store). */
  onCorruption(kind: WalCorruptionKind): void;
  /** Called with each fsync's duration in seconds. */
  onFsync?(seconds: number): void;
  /** Roll size (default WAL_SEGMENT_BYTES); small in tests to exercise checkpointing. */
  segmentBytes?: number;
}

interface Pending {
  payload: Buffer;
  onDurable: (lsn: number) => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface SegmentFile {
  start: number;
  path: string;
  bytes: number;
}

const segName = (lsn: number) => `${lsn.toString(16).padStart(16, '0')}.wal`;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Finds the next offset >= from where a whole valid record starts, or -1. */
function resync(buf: Buffer, from: number): number {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(MAGIC);
  let p = buf.indexOf(magic, from);
  while (p >= 0) {
    if (p + HEADER <= buf.length) {
      const len = buf.readUInt32LE(p + 4);
      if (p + HEADER + len <= buf.length && crc32(buf.subarray(p + HEADER, p + HEADER + len)) === buf.readUInt32LE(p + 8)) return p;
    }
    p = buf.indexOf(magic, p + 1);
  }
  return -1;
}

/**
 * Owned by LogStore. `open` replays every segment through `visit` (in LSN order) and then appends
 * to a fresh segment. Replay never throws on bad bytes: a torn tail is truncated, a corrupt record
 * skipped (resyncing on the next valid frame), each logged with file and byte offset and counted.
 */
export class Wal {
  private segments: SegmentFile[] = [];
  private fh: FileHandle | undefined;
  private current!: SegmentFile;
  private queue: Pending[] = [];
  private writing = false;
  private broken = false;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly hooks: WalHooks,
  ) {}

  static async open(dir: string, hooks: WalHooks, minNextLsn: number, visit: (lsn: number, payload: Buffer) => void): Promise<Wal> {
    mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir, hooks);
    const files = readdirSync(dir)
      .filter((f) => /^[0-9a-f]{16}\.wal$/.test(f))
      .sort();
    let end = 0;
    for (let i = 0; i < files.length; i++) {
      const f = files[i] as string;
      const path = join(dir, f);
      const start = parseInt(f.slice(0, 16), 16);
      const valid = wal.replayFile(path, start, i === files.length - 1, visit);
      wal.segments.push({ start, path, bytes: valid });
      end = Math.max(end, start + valid);
    }
    await wal.startSegment(Math.max(end, minNextLsn));
    return wal;
  }

  private replayFile(path: string, start: number, last: boolean, visit: (lsn: number, payload: Buffer) => void): number {
    const buf = readFileSync(path);
    const log = this.hooks.logger;
    let o = 0;
    while (o < buf.length) {
      const whole = o + HEADER <= buf.length;
      const magicOk = whole && buf.readUInt32LE(o) === MAGIC;
      const len = whole ? buf.readUInt32LE(o + 4) : 0;
      if (magicOk && o + HEADER + len > buf.length && resync(buf, o + 1) < 0) {
        // A record cut short by a crash mid-write: nothing after it was acknowledged.
        log.warn({ file: path, offset: o, bytes: buf.length - o }, 'write-ahead log: torn record at the tail, truncated');
        this.hooks.onCorruption('wal_torn_tail');
        if (last) truncateSync(path, o);
        return o;
      }
      if (!whole || !magicOk || crc32(buf.subarray(o + HEADER, o + HEADER + len)) !== buf.readUInt32LE(o + 8)) {
        const next = resync(buf, o + 1);
        if (next < 0) {
          log.warn({ file: path, offset: o, bytes: buf.length - o }, 'write-ahead log: unreadable bytes at the tail, truncated');
          this.hooks.onCorruption(whole ? 'wal_bad_record' : 'wal_torn_tail');
          if (last) truncateSync(path, o);
          return o;
        }
        log.warn({ file: path, offset: o, skipped: next - o }, 'write-ahead log: corrupt record skipped');
        this.hooks.onCorruption('wal_bad_record');
        o = next;
        continue;
      }
      try {
        visit(start + o, buf.subarray(o + HEADER, o + HEADER + len));
      } catch (e) {
        log.warn({ file: path, offset: o, error: (e as Error).message }, 'write-ahead log: undecodable record skipped');
        this.hooks.onCorruption('wal_bad_record');
      }
      o += HEADER + len;
    }
    return o;
  }

  private async startSegment(lsn: number): Promise<void> {
    const path = join(this.dir, segName(lsn));
    this.fh = await open(path, 'a');
    fsyncDir(this.dir);
    this.current = { start: lsn, path, bytes: 0 };
    // An empty segment left by the last run has this very name: it must not stay listed as an old
    // segment, or checkpointing would delete the file now being written.
    this.segments = this.segments.filter((s) => s.path !== path);
    this.segments.push(this.current);
    this.broken = false;
  }

  /** The LSN the next record will get. */
  nextLsn(): number {
    return this.current.start + this.current.bytes;
  }

  /** Bytes of all segment files. */
  bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  /**
   * Appends one record; resolves after it is fsynced. `onDurable(lsn)` runs synchronously right
   * after the fsync, in LSN order, before any later record's, so the caller can apply it to memory
   * before a checkpoint could observe the gap. Rejects when the write or fsync failed.
   */
  append(payload: Buffer, onDurable: (lsn: number) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ payload, onDurable, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.broken || this.current.bytes >= (this.hooks.segmentBytes ?? WAL_SEGMENT_BYTES)) await this.rollNow();
        const bufs: Buffer[] = [];
        const lsns: number[] = [];
        let at = this.nextLsn();
        for (const p of batch) {
          const h = Buffer.allocUnsafe(HEADER);
          h.writeUInt32LE(MAGIC, 0);
          h.writeUInt32LE(p.payload.length, 4);
          h.writeUInt32LE(crc32(p.payload), 8);
          bufs.push(h, p.payload);
          lsns.push(at);
          at += HEADER + p.payload.length;
        }
        const total = at - this.nextLsn();
        const fh = this.fh as FileHandle;
        const { bytesWritten } = await fh.writev(bufs);
        if (bytesWritten < total) {
          // A short vectored write (rare): finish from where it stopped.
          const rest = Buffer.concat(bufs).subarray(bytesWritten);
          let off = 0;
          while (off < rest.length) off += (await fh.write(rest, off, rest.length - off)).bytesWritten;
        }
        const t0 = performance.now();
        await fh.datasync();
        this.hooks.onFsync?.((performance.now() - t0) / 1000);
        this.current.bytes += total;
        for (let i = 0; i < batch.length; i++) (batch[i] as Pending).onDurable(lsns[i] as number);
        for (const p of batch) p.resolve();
      } catch (e) {
        // Bytes may be half on disk: never append after them; replay resyncs past them.
        this.broken = true;
        for (const p of batch) p.reject(e);
      }
    }
    this.writing = false;
  }

  private async rollNow(): Promise<void> {
    const next = this.nextLsn() + (this.broken ? 1 : 0);
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await this.startSegment(next);
  }

  /** Starts a new segment (after pending writes), so the old ones can be checkpointed away. */
  async roll(): Promise<void> {
    while (this.writing) await new Promise((r) => setImmediate(r));
    if (this.current.bytes > 0) await this.rollNow();
  }

  /**
   * Deletes segments (never the current one) whose every record has LSN < `lsn`, i.e. whose
   * entries are all in fsynced chunks. Returns the number deleted.
   */
  deleteBefore(lsn: number): number {
    let n = 0;
    this.segments = this.segments.filter((s) => {
      if (s === this.current || s.start + s.bytes > lsn) return true;
      try {
        unlinkSync(s.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return true;
      }
      n++;
      return false;
    });
    return n;
  }

  /** Segment start LSNs and sizes, oldest first (for tests and stats). */
  list(): Array<{ start: number; bytes: number; path: string }> {
    return this.segments.map((s) => ({ ...s, bytes: s === this.current ? s.bytes : statSafe(s.path, s.bytes) }));
  }

  /** Waits for queued writes, then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await new Promise((r) => setImmediate(r));
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}

function statSafe(path: string, fallback: number): number {
  try {
    return statSync(path).size;
  } catch {
    return fallback;
  }
}
