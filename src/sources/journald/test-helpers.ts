/**
 * Test helpers for the journald source: real journal files written by systemd-journal-remote from
 * Journal Export Format (no running journald needed), and a waiting helper.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REMOTE_CANDIDATES = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'];
const JOURNALCTL_CANDIDATES = ['/usr/bin/journalctl', '/bin/journalctl'];

export const journalRemotePath = REMOTE_CANDIDATES.find((p) => existsSync(p));
export const journalctlPath = JOURNALCTL_CANDIDATES.find((p) => existsSync(p));

/** Why the real-journal tests cannot run here (undefined when they can). */
export const realJournalMissing: string | undefined =
  journalctlPath === undefined
    ? 'journalctl not found (apt-get install -y systemd)'
    : journalRemotePath === undefined
      ? 'systemd-journal-remote not found (apt-get install -y systemd-journal-remote)'
      : undefined;

export type ExportField = [name: string, value: string | Buffer];

export interface ExportEntry {
  realtimeUs: number;
  fields: ExportField[];
}

export const TEST_BOOT_ID = '6a1f0c2b9d4e4f1a8b7c3d2e1f0a9b8c';

/** Journal Export Format: `NAME=value` lines, binary values as NAME, LE64 length, bytes; a blank line ends an entry. */
export function exportFormat(entries: ReadonlyArray<ExportEntry>, firstMonotonic = 1000): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    parts.push(Buffer.from(`__REALTIME_TIMESTAMP=${e.realtimeUs}\n__MONOTONIC_TIMESTAMP=${firstMonotonic + i}\n_BOOT_ID=${TEST_BOOT_ID}\n`));
    for (const [name, value] of e.fields) {
      if (typeof value === 'string' && !value.includes('\n')) parts.push(Buffer.from(`${name}=${value}\n`));
      else {
        const bytes = typeof value === 'string' ? Buffer.from(value) : value;
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(bytes.length));
        parts.push(Buffer.from(`${name}\n`), len, bytes, Buffer.from('\n'));
      }
    }
    parts.push(Buffer.from('\n'));
  });
  return Buffer.concat(parts);
}

/** A journal directory that tests append real entries to, as a host's journald would. */
export class TestJournal {
  private written = 0;

  /**
   * `firstMonotonic` matters when several files share the test boot id: journalctl orders entries
   * of one boot by monotonic time, so a file that starts "earlier" than where a follower stands is
   * never shown to it (as with a real journald, whose clock only moves forward).
   */
  constructor(readonly dir: string, private readonly file = 'remote.journal', private readonly firstMonotonic = 1000) {}

  /** Writes entries through systemd-journal-remote; resolves once they are in the journal file. */
  async append(entries: ReadonlyArray<ExportEntry>): Promise<void> {
    if (!journalRemotePath) throw new Error(realJournalMissing);
    const child = spawn(journalRemotePath, ['-o', join(this.dir, this.file), '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin.end(exportFormat(entries, this.firstMonotonic + this.written));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    if (code !== 0) throw new Error(`systemd-journal-remote exited ${code}: ${stderr}`);
    this.written += entries.length;
  }
}

/** Simple message entries `prefix-<i>` for i in [from, to), one microsecond apart from `baseUs`. */
export function messages(prefix: string, from: number, to: number, baseUs: number, extra: ExportField[] = []): ExportEntry[] {
  const out: ExportEntry[] = [];
  for (let i = from; i < to; i++) out.push({ realtimeUs: baseUs + i, fields: [['_HOSTNAME', 'h1'], ['MESSAGE', `${prefix}-${i}`], ...extra] });
  return out;
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
