/**
 * File identity: device + inode + a fingerprint of the file's first bytes. The inode alone is not
 * enough (a deleted file's inode is reused by the next file created), and the path is not an
 * identity at all (rotation renames). A file shorter than the fingerprint size is fingerprinted
 * over what it has; the recorded length grows with the file up to `fingerprint_bytes`, and a
 * comparison always hashes exactly the recorded length, so a growing file keeps matching itself.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export interface Fingerprint {
  /** How many leading bytes were hashed (≤ the configured fingerprint size). */
  len: number;
  /** Hex SHA-1 of those bytes (sliced: identity, not security). */
  hash: string;
}

export interface FileIdentity {
  /** `dev:ino`, exact (from bigint stats: inodes can exceed 2^53 on some file systems). */
  key: string;
  fp: Fingerprint;
}

/** Hash of `prefix[0..len)`. */
export function fingerprintOf(prefix: Buffer, len: number): Fingerprint {
  const n = Math.min(len, prefix.length);
  return { len: n, hash: createHash('sha1').update(prefix.subarray(0, n)).digest('hex').slice(0, 24) };
}

/** `dev:ino` of bigint stats. */
export function inodeKey(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * True when a file whose first bytes are `prefix` is the file a checkpoint recorded as `(key, fp)`.
 * Used by the `file` source on start (resume or start over) and when reopening a closed file by
 * path. A file now shorter than the recorded fingerprint was truncated or replaced: not the same.
 */
export function sameFile(recorded: FileIdentity, key: string, prefix: Buffer): boolean {
  if (recorded.key !== key) return false;
  if (prefix.length < recorded.fp.len) return false;
  return fingerprintOf(prefix, recorded.fp.len).hash === recorded.fp.hash;
}

/** Reads up to `n` leading bytes of an open file (fewer when it is shorter). */
export async function readPrefix(fh: FileHandle, n: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
