/**
 * The set of files a `file` source follows: finding them by glob, telling new files from known
 * ones by identity (device + inode + fingerprint, matched against checkpoints), and keeping at most
 * `max_open_files` handles open by closing idle files and reopening them by path after checking
 * they are still the same file.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { glob } from 'tinyglobby';
import type { SourceContext } from '../../components/contract.js';
import { errorMessage } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { CheckpointStore } from './checkpoints.js';
import type { FileSourceOptions } from './file-source.js';
import { fingerprintOf, inodeKey, readPrefix, sameFile } from './identity.js';
import { errCode, type FileSourceMetrics } from './metrics.js';
import { TailedFile } from './tailed-file.js';

const MAX_DIR_WATCHERS = 256;

/**
 * Owned by FileSource (one per source). Errors on one path are logged once and counted as
 * `receiving` errors; nothing here throws out of `scan`.
 */
export class FileSet {
  readonly files = new Map<string, TailedFile>();
  /** Set when a file event or a failed identity check says the paths changed: the loop scans soon. */
  scanRequested = false;
  openCount = 0;
  private readonly ctx: SourceContext;
  private readonly o: FileSourceOptions;
  private readonly checkpoints: CheckpointStore;
  private readonly m: FileSourceMetrics;
  private readonly wake: () => void;
  private readonly isStopped: () => boolean;
  private readonly failedPaths = new Set<string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private firstScanDone = false;

  constructor(
    ctx: SourceContext,
    o: FileSourceOptions,
    checkpoints: CheckpointStore,
    m: FileSourceMetrics,
    hooks: { wake: () => void; isStopped: () => boolean },
  ) {
    this.ctx = ctx;
    this.o = o;
    this.checkpoints = checkpoints;
    this.m = m;
    this.wake = hooks.wake;
    this.isStopped = hooks.isStopped;
  }

  /** Records f's acknowledged position (saved durably by the source's checkpoint writer). */
  setCheckpoint(f: TailedFile): void {
    this.checkpoints.set({ key: f.key, fp: f.fp, offset: f.acked, path: f.label, seenMs: Date.now() });
  }

  /** Closes every handle and watcher (stop). */
  async closeAll(): Promise<void> {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const f of this.files.values()) await this.closeFile(f);
  }

  /** Finds files; new ones are identified and matched against checkpoints, lost ones orphaned. */
  async scan(): Promise<void> {
    let paths: string[];
    try {
      paths = await glob(this.o.include, { absolute: true, ignore: this.o.exclude, dot: true, onlyFiles: true });
    } catch (e) {
      this.ctx.logger.error({ error: errorMessage(e) }, 'file source glob failed');
      this.ctx.metrics.error('receiving');
      return;
    }
    const seen = new Set<string>();
    for (const path of paths) {
      if (this.isStopped()) return;
      try {
        const st = await stat(path, { bigint: true });
        if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
        const key = inodeKey(st);
        seen.add(key);
        const known = this.files.get(key);
        if (known) {
          known.orphan = false;
          known.path = path;
          continue;
        }
        await this.discover(path, key);
        this.failedPaths.delete(path);
      } catch (e) {
        if (errCode(e) === 'ENOENT') continue; // vanished between glob and stat
        this.fileError(path, e);
      }
    }
    for (const f of this.files.values()) {
      if (!seen.has(f.key) && !f.orphan) {
        f.markOrphan(this.ctx.now());
        this.ctx.logger.debug({ path: f.path }, 'file renamed away or deleted; reading it to its end');
      }
    }
    this.firstScanDone = true;
  }

  private async discover(path: string, key: string): Promise<void> {
    const fh = await open(path, 'r');
    let keep = false;
    try {
      const st = await fh.stat({ bigint: true });
      if (inodeKey(st) !== key) return; // replaced between stat and open: the next scan sees the new one
      const size = Number(st.size);
      const prefix = await readPrefix(fh, this.o.fingerprintBytes);
      const fp = fingerprintOf(prefix, this.o.fingerprintBytes);
      const cp = this.checkpoints.get(key);
      let offset: number;
      if (cp && sameFile(cp, key, prefix)) {
        offset = cp.offset;
        if (offset > size) {
          this.ctx.logger.warn({ path, size, offset }, 'file shorter than its checkpoint; reading it again from the start');
          this.m.truncations.inc(this.m.l);
          offset = 0;
        }
      } else {
        if (cp) this.ctx.logger.info({ path }, 'inode reused by a different file; reading it from the start');
        // start_at applies to what a source finds at its very first start only; after that, any file
        // without a checkpoint appeared while collection was on (rotation during a restart, a reload).
        offset = !this.firstScanDone && !this.checkpoints.hasHistory && this.o.startAt === 'end' ? size : 0;
      }
      const labels: Labels = { ...this.o.labels, filename: path, host: this.ctx.hostname };
      const f = new TailedFile(
        { label: path, key, fp, offset, size, labels, now: this.ctx.now() },
        { maxLineBytes: this.o.maxLineBytes, onLongLine: this.o.onLongLine, encoding: this.o.encoding },
        this.o.multiline,
      );
      this.files.set(key, f);
      this.setCheckpoint(f);
      this.watchDir(dirname(path));
      if (this.openCount < this.o.maxOpenFiles) {
        f.fh = fh;
        this.openCount++;
        keep = true;
      }
    } finally {
      if (!keep) await fh.close().catch(() => undefined);
    }
  }

  /** Opens a closed file by path, checking it is still the same file; false when no handle is free. */
  async reopen(f: TailedFile): Promise<boolean> {
    if (this.openCount >= this.o.maxOpenFiles && !(await this.evictOne())) return false;
    const fh = await open(f.path, 'r');
    const st = await fh.stat({ bigint: true });
    const prefix = await readPrefix(fh, this.o.fingerprintBytes);
    const key = inodeKey(st);
    if (!sameFile({ key: f.key, fp: f.fp }, key, prefix)) {
      await fh.close();
      this.scanRequested = true;
      if (key === f.key) {
        // Same inode, other content: truncated and rewritten, or the inode was reused while the
        // file was closed. Forget it so the next scan finds it as a new file, read from 0.
        this.ctx.logger.info({ path: f.path }, 'file content replaced while closed; reading it as a new file');
        this.m.truncations.inc(this.m.l);
        if (!f.busy) await this.release(f);
      } else {
        f.markOrphan(this.ctx.now());
      }
      return false;
    }
    f.fh = fh;
    this.openCount++;
    return true;
  }

  /** Closes the least recently active idle file to stay under max_open_files. */
  private async evictOne(): Promise<boolean> {
    let victim: TailedFile | undefined;
    for (const f of this.files.values()) {
      if (!f.fh || f.orphan || f.busy || f.readPos < f.size) continue;
      if (!victim || f.lastDataAt < victim.lastDataAt) victim = f;
    }
    if (!victim) return false;
    await this.closeFile(victim);
    return true;
  }

  async closeFile(f: TailedFile): Promise<void> {
    if (!f.fh) return;
    this.openCount--;
    await f.close();
  }

  /** Stops following a file for good (deleted or rotated away and fully read). */
  async release(f: TailedFile): Promise<void> {
    await this.closeFile(f);
    this.files.delete(f.key);
    this.checkpoints.delete(f.key);
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.watchers.size >= MAX_DIR_WATCHERS) return;
    try {
      // A wake-up hint only: polling alone is correct, the watcher just cuts latency.
      const w = watch(dir, { persistent: false }, (event) => {
        if (event === 'rename') this.scanRequested = true;
        this.wake();
      });
      w.on('error', () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // Unsupported file system or too many watches: polling covers it.
    }
  }

  fileError(path: string, e: unknown): void {
    if (this.failedPaths.has(path)) return;
    this.failedPaths.add(path);
    this.ctx.logger.warn({ path, error: errorMessage(e), code: errCode(e) }, 'cannot read file');
    this.ctx.metrics.error('receiving');
  }

}
