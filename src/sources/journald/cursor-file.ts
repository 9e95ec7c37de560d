/**
 * The durable position of one `journald` source: the journal cursor of the last entry every sink
 * acknowledged, and, before any entry was acknowledged, the time the source first started reading
 * (so a restart with `since: now` resumes from there instead of skipping what came in between).
 * Saved with write-temp + fsync + rename + directory fsync: a crash leaves the old or the new
 * version, never a torn one.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalPosition {
  /** `__CURSOR` of the last acknowledged entry. */
  cursor?: string;
  /** Microseconds since the epoch the source first began following (used while there is no cursor). */
  sinceUs?: number;
}

interface Document {
  version: 1;
  cursor?: string;
  since_us?: number;
}

const FILE = 'journald-cursor.json';

/**
 * Reads and writes `journald-cursor.json` in the source's data dir. `load` never throws for bad
 * content: a corrupt document is moved aside (`.corrupt`) and described in `problem`; the source
 * then starts from its `since` option. `save` throws on I/O errors (the caller logs and counts).
 */
export class CursorFile {
  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, FILE);
  }

  load(): { position: JournalPosition; problem?: string } {
    const p = this.path;
    if (!existsSync(p)) return { position: {} };
    try {
      const doc = JSON.parse(readFileSync(p, 'utf8')) as Partial<Document> | null;
      if (typeof doc !== 'object' || doc === null || doc.version !== 1) throw new Error('not a version 1 cursor document');
      const position: JournalPosition = {};
      if (doc.cursor !== undefined) {
        if (typeof doc.cursor !== 'string' || doc.cursor === '') throw new Error('cursor: must be a non-empty string');
        position.cursor = doc.cursor;
      }
      if (doc.since_us !== undefined) {
        if (typeof doc.since_us !== 'number' || !Number.isSafeInteger(doc.since_us) || doc.since_us < 0) {
          throw new Error('since_us: must be a non-negative integer');
        }
        position.sinceUs = doc.since_us;
      }
      return { position };
    } catch (e) {
      try {
        renameSync(p, `${p}.corrupt`);
      } catch {
        // Leave it: the next save replaces it anyway.
      }
      return { position: {}, problem: `${p}: ${e instanceof Error ? e.message : String(e)}; moved aside, starting from \`since\`` };
    }
  }

  async save(pos: JournalPosition): Promise<void> {
    const doc: Document = { version: 1 };
    if (pos.cursor !== undefined) doc.cursor = pos.cursor;
    if (pos.sinceUs !== undefined) doc.since_us = pos.sinceUs;
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(doc));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
