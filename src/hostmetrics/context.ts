/** The per-collection file access collectors use, rooted at `root_path`, memoised per collection. */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { statfs as statfsAsync } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectContext, StatfsResult } from './types.js';

/** statfs of `<root><mountPoint>` through libuv's thread pool (never blocks the event loop). */
export function defaultStatfs(root: string): (mountPoint: string) => Promise<StatfsResult> {
  return async (mp) => {
    const s = await statfsAsync(join(root, mp));
    return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  };
}

/** One buffer reused for every read: /proc files report size 0, so read until EOF into it. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Reads a whole (pseudo-)file as latin1 with open + read loop + close and no stat. */
export function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, len);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, len, scratch.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return scratch.toString('latin1', 0, len);
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds one collection's context. Reads of /proc and /sys are synchronous on purpose: they are
 * served from kernel memory in microseconds, and a thread-pool hop per file would cost more than
 * the read (about 20 files per collection).
 */
export function makeContext(root: string, nowMs: number, statfs: (mp: string) => Promise<StatfsResult>): CollectContext {
  const cache = new Map<string, string>();
  const read = async (abs: string) => {
    let t = cache.get(abs);
    if (t === undefined) {
      t = readSmallFile(abs);
      cache.set(abs, t);
    }
    return t;
  };
  return {
    proc: (rel) => read(join(root, 'proc', rel)),
    sys: (rel) => read(join(root, 'sys', rel)),
    sysDir: async (rel) => readdirSync(join(root, 'sys', rel)),
    rootFile: (abs) => read(join(root, abs)),
    statfs,
    nowMs,
  };
}
