/**
 * Runs a child process for a probe (command, icmp's system ping) so that a timeout never leaves
 * anything behind: the child leads its own process group, and an abort kills the whole group
 * (a shell's grandchildren included) with SIGKILL. Output is captured up to a bound.
 */
import { spawn } from 'node:child_process';

export interface ChildResult {
  /** Exit code, or undefined when killed by a signal or never started. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started (ENOENT, EACCES …). */
  spawnError: NodeJS.ErrnoException | undefined;
  /** True when `signal` aborted the run and the group was killed. */
  aborted: boolean;
  durationMs: number;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal: AbortSignal;
  /** Bytes kept of each of stdout and stderr (the rest is read and dropped). */
  maxOutputBytes?: number;
}

/** Spawns `argv` and resolves when it exited and its pipes closed, or right after an abort killed it. Never rejects. */
export function runChild(argv: readonly string[], o: ChildOptions): Promise<ChildResult> {
  const started = performance.now();
  const max = o.maxOutputBytes ?? 65_536;
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let aborted = false;
    let settled = false;
    const finish = (r: Omit<ChildResult, 'stdout' | 'stderr' | 'aborted' | 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      resolve({ ...r, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), aborted, durationMs: performance.now() - started });
    };
    if (file === undefined) {
      finish({ exitCode: undefined, signal: undefined, spawnError: Object.assign(new Error('empty command'), { code: 'EINVAL' }) });
      return;
    }
    if (o.signal.aborted) {
      aborted = true;
      finish({ exitCode: undefined, signal: undefined, spawnError: undefined });
      return;
    }
    const child = spawn(file, args, { env: o.env, cwd: o.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      if (outBytes < max) out.push(b.subarray(0, max - outBytes));
      outBytes += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errBytes < max) err.push(b.subarray(0, max - errBytes));
      errBytes += b.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => finish({ exitCode: undefined, signal: undefined, spawnError: e }));
    child.on('close', (code, sig) => {
      // Background children of a shell may still hold nothing but be alive: reap the group.
      killGroup();
      finish({ exitCode: code ?? undefined, signal: sig ?? undefined, spawnError: undefined });
    });
  });
}
