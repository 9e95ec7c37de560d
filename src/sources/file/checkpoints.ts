/**
 * Durable per-file read positions of the `file` source, keyed by file identity (dev:ino +
 * fingerprint), never by path. Saved as one small JSON document with write-temp + rename after
 * every acknowledged batch (crash-safe) and, every checkpoint interval, write-temp + fsync + rename
 * (+ directory fsync: power-loss-safe). Each document carries a generation number. A fast save
 * that lands while a durable save is under way is never held back (a kill -9 then re-reads only
 * the batches in flight); the durable document then goes to `checkpoints.json.durable` instead of
 * replacing the newer one, and loading takes the newest valid document of the two.
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
  /** Increases with every save; absent in documents of earlier versions (= 0). */
  generation?: number;
  checkpoints: Checkpoint[];
}

const FILE = 'checkpoints.json';
const DURABLE_SUFFIX = '.durable';

/** A saved document, or why it cannot be used (undefined: no such file). */
function readDocument(path: string): { doc: Document } | { error: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { error: (e as Error).message };
  }
  try {
    const doc = JSON.parse(text) as Partial<Document>;
    if (doc.version !== 1 || !Array.isArray(doc.checkpoints)) return { error: 'not a version 1 checkpoint document' };
    return { doc: doc as Document };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

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
    const durablePath = `${p}${DURABLE_SUFFIX}`;
    this.hasHistory = existsSync(p) || existsSync(`${p}.corrupt`) || existsSync(durablePath);
    if (!this.hasHistory) return undefined;
    const main = readDocument(p);
    const durable = readDocument(durablePath);
    const problems: string[] = [];
    if (main && 'error' in main) {
      try {
        renameSync(p, `${p}.corrupt`);
      } catch {
        // Leave it: the next save replaces it anyway.
      }
      problems.push(`${p}: ${main.error}; moved aside, ${durable && 'doc' in durable ? `using the last durable checkpoints (${durablePath})` : 'starting without checkpoints'}`);
    }
    if (durable && 'error' in durable) problems.push(`${durablePath}: ${durable.error}; ignored`);
    const gen = (d: Document) => (typeof d.generation === 'number' ? d.generation : 0);
    const candidates = [main, durable].filter((x): x is { doc: Document } => x !== undefined && 'doc' in x).map((x) => x.doc);
    // The newest valid document (the fast one on a tie: it is the one written last).
    const doc = candidates.reduce<Document | undefined>((best, d) => (best === undefined || gen(d) > gen(best) ? d : best), undefined);
    if (doc) {
      this.generation = Math.max(...candidates.map(gen));
      doc.checkpoints.forEach((c, i) => {
        if (isCheckpoint(c)) this.byKey.set(c.key, c);
        else problems.push(`${p}: checkpoints[${i}] is malformed, skipped`);
      });
    }
    return problems.length > 0 ? problems.join('; ') : undefined;
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
  /** Generation of the last document saved or loaded. */
  private generation = 0;
  /** A fast save happened while the durable save in progress was writing. */
  private fastDuringSync = false;
  /** A durable save is under way (between serializing and its directory fsync). */
  private syncing = false;

  /**
   * Crash-safe save (write + rename, no fsync): survives a process crash (kill -9), costs
   * microseconds, so it follows every acknowledged batch, also while a durable save runs. A power
   * loss may revert or tear it; loading then falls back to the last durable document (duplicates,
   * never loss).
   */
  saveFast(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.syncing) this.fastDuringSync = true;
    const tmp = `${this.path}.fast.tmp`;
    try {
      // writeFileSync loops over short writes (a nearly full disk): never a truncated document.
      writeFileSync(tmp, JSON.stringify({ version: 1, generation: ++this.generation, checkpoints: this.all() } satisfies Document));
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
    this.fastDuringSync = false;
    this.dirty = false;
    const doc: Document = { version: 1, generation: ++this.generation, checkpoints: this.all() };
    const tmp = `${this.path}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(doc));
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (this.fastDuringSync) {
        // checkpoints.json already holds a newer (crash-safe) document: keep it, and keep this one
        // as the durable fallback. The newer one is made durable by the next durable save.
        renameSync(tmp, `${this.path}${DURABLE_SUFFIX}`);
      } else {
        renameSync(tmp, this.path);
        this.unsynced = false;
      }
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
