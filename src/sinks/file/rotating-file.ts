/**
 * An append-only file that is fsynced after every write and rotated by size: `path` → `path.1`
 * → … → `path.<maxFiles>` (the oldest is deleted). Writes are serialised, so concurrent batches
 * never interleave and rotation never races a write.
 */
import { mkdirSync } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  path: string;
  /** Rotate before a write would make the file larger than this; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept beside the live one. */
  maxFiles: number;
}

export class RotatingFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: RotatingFileOptions) {}

  /** Opens (creating the directory and file); idempotent. */
  async open(): Promise<void> {
    if (this.fh) return;
    mkdirSync(dirname(this.o.path), { recursive: true });
    this.fh = await open(this.o.path, 'a');
    this.size = (await this.fh.stat()).size;
  }

  /**
   * Appends `data` and fsyncs; resolves once the bytes are on disk. A rejected write leaves the
   * file usable (the next write reopens it), so the caller can retry the same batch.
   */
  write(data: Buffer): Promise<void> {
    const run = this.chain.then(() => this.writeNow(data));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeNow(data: Buffer): Promise<void> {
    try {
      await this.open();
      if (this.o.maxBytes > 0 && this.size > 0 && this.size + data.length > this.o.maxBytes) await this.rotate();
      const fh = this.fh as FileHandle;
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      this.size += data.length;
      await fh.sync();
    } catch (e) {
      // A half-written batch may remain; the retry appends it whole (at-least-once), and the
      // handle is reopened because its state after an I/O error is unknown.
      await this.closeHandle().catch(() => undefined);
      throw e;
    }
  }

  private async rotate(): Promise<void> {
    await this.closeHandle();
    const p = this.o.path;
    if (this.o.maxFiles <= 0) {
      await rm(p, { force: true });
    } else {
      await rm(`${p}.${this.o.maxFiles}`, { force: true });
      for (let i = this.o.maxFiles - 1; i >= 1; i--) {
        if (await exists(`${p}.${i}`)) await rename(`${p}.${i}`, `${p}.${i + 1}`);
      }
      await rename(p, `${p}.1`);
    }
    await syncDir(dirname(p));
    await this.open();
  }

  private async closeHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.size = 0;
    await fh?.close();
  }

  /** Waits for pending writes, then closes; idempotent. */
  async close(): Promise<void> {
    await this.chain;
    await this.closeHandle();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Makes renames durable; some filesystems refuse fsync on a directory, which is not an error here. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
