/**
 * Reading processes from /proc: comm, cmdline, CPU time and resident memory, as
 * process-exporter (namedprocess) reads them. A process that exits while being read is skipped.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface ProcInfo {
  pid: number;
  /** /proc/<pid>/comm (at most 15 characters, the kernel's name). */
  comm: string;
  /** Arguments joined by spaces (empty for kernel threads). */
  cmdline: string;
  /** user + system CPU time, seconds. */
  cpuSeconds: number;
  /** VmRSS, bytes (0 for kernel threads). */
  rssBytes: number;
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux architecture Node supports. */
const CLK_TCK = 100;

/** Parses /proc/<pid>/stat; the comm field may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): { comm: string; cpuSeconds: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // Fields after comm start at field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { comm: text.slice(open + 1, close), cpuSeconds: (utime + stime) / CLK_TCK };
}

/** VmRSS of /proc/<pid>/status in bytes; 0 when absent (kernel threads, zombies). */
export function parseRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** The name (comm) of a process, read from its stat; undefined when it is gone. */
export async function readComm(pid: number, root = '/proc'): Promise<string | undefined> {
  try {
    return parseStat(await readFile(`${root}/${pid}/stat`, 'utf8'))?.comm;
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces; undefined when it is gone. */
export async function readCmdline(pid: number, root = '/proc'): Promise<string | undefined> {
  try {
    const cmd = await readFile(`${root}/${pid}/cmdline`);
    let end = cmd.length;
    while (end > 0 && cmd[end - 1] === 0) end--;
    return cmd.subarray(0, end).toString('utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** One process by pid; undefined when it does not exist (or vanished meanwhile). */
export async function readProc(pid: number, root = '/proc'): Promise<ProcInfo | undefined> {
  try {
    const [stat, status, cmdline] = await Promise.all([
      readFile(`${root}/${pid}/stat`, 'utf8'),
      readFile(`${root}/${pid}/status`, 'utf8'),
      readCmdline(pid, root),
    ]);
    const s = parseStat(stat);
    if (!s || cmdline === undefined) return undefined;
    return { pid, comm: s.comm, cmdline, cpuSeconds: s.cpuSeconds, rssBytes: parseRss(status) };
  } catch {
    return undefined;
  }
}

/** Every pid under /proc. */
export async function listPids(root = '/proc'): Promise<number[]> {
  const names = await readdir(root);
  const out: number[] = [];
  for (const n of names) if (/^\d+$/.test(n)) out.push(Number(n));
  return out;
}
