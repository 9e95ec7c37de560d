/**
 * Durable per-file read positions of the `file` source, keyed by file identity (dev:ino +
 * fingerprint), never by path. Saved as one small JSON document with write-temp + fsync + rename
 * (+ directory fsync), so a crash leaves either the old or the new version, never a torn one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileIdentity } from './identity.js';

export interface Checkpoint extends FileIdentity {
  /** Byte offset just past the last line downstream acknowledged. */
  offset: number;
  /** Path where the file was last seen (for humans and logs). */
  path: string;
  /** When this entry last changed or was confirmed, ms since epoch (stale entries are pruned). */
  seenMs: number;
}

interface Document {
  version: 1;
  checkpoints: Checkpoint[];
}

const FILE = 'checkpoints.json';

function isCheckpoint(v: unknown): v is Checkpoint {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  const fp = c['fp'] as Record<string, unknown> | undefined;
  return (
    typeof c['key'] === 'string' && typeof c['offset'] === 'number' && Number.isInteger(c['offset']) &&
    (c['offset'] as number) >= 0 && typeof c['path'] === 'string' && typeof c['seenMs'] === 'number' &&
    typeof fp === 'object' && fp !== null && typeof fp['len'] === 'number' && typeof fp['hash'] === 'string'
  );
}

/**
 * The checkpoint set of one source (its data dir). `load` never throws for bad content: a corrupt
 * document is moved aside to `checkpoints.json.corrupt` and reported through the returned `problem`,
 * and the source starts over. `save` throws on I/O errors (the caller logs, counts and retries).
 */
export class CheckpointStore {
  private readonly dir: string;
  private readonly byKey = new Map<string, Checkpoint>();
  private dirty = false;

  constructor(dataDir: string) {
    this.dir = dataDir;
  }

  get path(): string {
    return join(this.dir, FILE);
  }

  /** Reads the saved document; returns a description of the problem when it was unreadable. */
  /**
   * True once this source has run before (a checkpoint document existed at load): `start_at: end`
   * then no longer applies, since every file found since was created while collection was on.
   */
  hasHistory = false;

  load(): string | undefined {
    this.byKey.clear();
    const p = this.path;
    this.hasHistory = existsSync(p) || existsSync(`${p}.corrupt`);
    if (!this.hasHistory) return undefined;
    let problem: string | undefined;
    try {
      const doc = JSON.parse(readFileSync(p, 'utf8')) as Partial<Document>;
      if (doc.version !== 1 || !Array.isArray(doc.checkpoints)) throw new Error('not a version 1 checkpoint document');
      doc.checkpoints.forEach((c, i) => {
        if (isCheckpoint(c)) this.byKey.set(c.key, c);
        else problem = `${p}: checkpoints[${i}] is malformed, skipped`;
      });
      return problem;
    } catch (e) {
      try {
        renameSync(p, `${p}.corrupt`);
      } catch {
        // Leave it: the next save replaces it anyway.
      }
      return `${p}: ${e instanceof Error ? e.message : String(e)}; moved aside, starting without checkpoints`;
    }
  }

  get(key: string): Checkpoint | undefined {
    return this.byKey.get(key);
  }

  set(c: Checkpoint): void {
    this.byKey.set(c.key, c);
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.byKey.delete(key)) this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  all(): Checkpoint[] {
    return [...this.byKey.values()];
  }

  /** Drops entries not seen since `olderThanMs` (files gone for good). */
  prune(olderThanMs: number): void {
    for (const [k, c] of this.byKey) {
      if (c.seenMs < olderThanMs) {
        this.byKey.delete(k);
        this.dirty = true;
      }
    }
  }

  /** Written since the last fsync (a power loss could still revert it). */
  private unsynced = false;
  /** A durable save is between serializing and renaming: fast saves wait (they stay dirty). */
  private syncing = false;

  /**
   * Crash-safe save (write + rename, no fsync): survives a process crash (kill -9), costs
   * microseconds, so it can follow every acknowledged batch. A power loss may revert it to the last
   * durable save, which only means re-reading (duplicates), never loss. Skipped (left dirty) while
   * a durable save runs, so an older document can never replace a newer one.
   */
  saveFast(): void {
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    const tmp = `${this.path}.fast.tmp`;
    try {
      // writeFileSync loops over short writes (a nearly full disk): never a truncated document.
      writeFileSync(tmp, JSON.stringify({ version: 1, checkpoints: this.all() } satisfies Document));
      renameSync(tmp, this.path);
      this.unsynced = true;
    } catch (e) {
      this.dirty = true;
      throw e;
    }
  }

  /** Number of checkpoints (to decide whether saving after every batch is cheap). */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Writes the newest document durably: a temporary file fsynced, renamed over the old one, the
   * directory fsynced — so even a power loss leaves the old or the new document, never a torn one.
   */
  async save(): Promise<void> {
    if ((!this.dirty && !this.unsynced) || this.syncing) return;
    this.syncing = true;
    this.dirty = false;
    const doc: Document = { version: 1, checkpoints: this.all() };
    const tmp = `${this.path}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(doc));
        await fh.sync();
      } finally {
        await fh.close();
      }
      renameSync(tmp, this.path);
      this.unsynced = false;
      const dh = await open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (e) {
      this.dirty = true;
      throw e;
    } finally {
      this.syncing = false;
    }
  }
}
