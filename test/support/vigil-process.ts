/**
 * Runs `vigil` as a real child process (through tsx on the sources) for end-to-end tests:
 * start with a config, wait until its API is ready, signal it, kill -9 it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'src/cli/entry.ts');
/** tsx resolved from the repo, so children started in temp dirs find it. */
const TSX = import.meta.resolve('tsx');

export function tempDir(prefix = 'vigil-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface VigilChild {
  proc: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a vigil CLI command to completion; returns exit code and output. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      rej(new Error(`vigil ${args.join(' ')} timed out; stderr:\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** Starts `vigil run -c <config>` (config text written to dir/vigil.yaml) and waits for readiness. */
export async function startVigilProcess(dir: string, configText: string, env: Record<string, string> = {}, command: 'run' | 'agent' = 'run', configName = 'vigil.yaml'): Promise<VigilChild> {
  const cfg = join(dir, configName);
  writeFileSync(cfg, configText);
  const proc = spawn(process.execPath, ['--import', TSX, ENTRY, command, '-c', cfg], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdout?.on('data', () => {});
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`vigil did not become ready in 60 s; stderr:\n${err}`)), 60_000);
    const check = () => {
      const m = /"url":"(http[^"]+)"/.exec(err);
      if (m?.[1]) {
        clearTimeout(t);
        proc.stderr?.off('data', check);
        res(m[1]);
      }
    };
    proc.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      rej(new Error(`vigil exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
  return {
    proc,
    url,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
