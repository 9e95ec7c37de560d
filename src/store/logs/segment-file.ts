/**
 * Segment files hold the chunks of one flush of one tenant, back to back. They are written to a
 * temp name, fsynced, renamed and the directory fsynced, so a segment file either exists whole or
 * not at all; the catalog row that points into it is committed only after that.
 */
import { closeSync, fsyncSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export function segmentPath(dir: string, id: number): string {
  return join(dir, `${String(id).padStart(10, '0')}.seg`);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `parts` as segment `id`; returns each part's offset and the total size. Throws on I/O errors. */
export async function writeSegment(dir: string, id: number, parts: ReadonlyArray<Buffer>): Promise<{ offsets: number[]; bytes: number }> {
  const offsets: number[] = [];
  let bytes = 0;
  for (const p of parts) {
    offsets.push(bytes);
    bytes += p.length;
  }
  const final = segmentPath(dir, id);
  const tmp = `${final}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    // Vectored: no concatenated copy of the whole segment. A short write (rare) finishes from a copy of the rest.
    const { bytesWritten } = await fh.writev(parts as Buffer[]);
    if (bytesWritten < bytes) {
      const rest = Buffer.concat(parts as Buffer[], bytes).subarray(bytesWritten);
      let off = 0;
      while (off < rest.length) off += (await fh.write(rest, off, rest.length - off)).bytesWritten;
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, final);
  fsyncDir(dir);
  return { offsets, bytes };
}

/** Deletes a segment file; a missing file is fine. */
export function deleteSegmentFile(dir: string, id: number): void {
  try {
    unlinkSync(segmentPath(dir, id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Removes temp files and segment files the catalog does not know (a crash between rename and
 * catalog commit leaves one: its entries are still in the WAL and will be flushed again).
 */
export function removeOrphans(dir: string, known: ReadonlySet<number>): string[] {
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^(\d{10})\.seg(\.tmp)?$/.exec(f);
    if (!m) continue;
    if (m[2] || !known.has(Number(m[1]))) {
      unlinkSync(join(dir, f));
      removed.push(f);
    }
  }
  return removed;
}
