/**
 * Runs a command and turns its output into entries: kept running (restarted with exponential
 * backoff whenever it exits) in `streaming` mode, or run once every `interval` in `interval` mode.
 * The child gets its own process group, so stop (SIGTERM, then SIGKILL after the grace) also
 * reaches whatever it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Counter } from 'prom-client';
import type { Source, SourceContext } from '../../components/contract.js';
import { errorMessage } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import { LineBatcher } from './line-batcher.js';

export interface ExecSourceOptions {
  command: string[];
  shell: boolean;
  env: Record<string, string>;
  cwd: string | undefined;
  mode: 'streaming' | 'interval';
  intervalMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  killGraceMs: number;
  includeStderr: boolean;
  labels: Labels;
  maxLineBytes: number;
  batchMaxLines: number;
  batchTimeoutMs: number;
}

function counter(ctx: SourceContext, name: string, help: string): Counter<'component_id'> {
  const existing = ctx.metrics.registry.getSingleMetric(name);
  if (existing) return existing as Counter<'component_id'>;
  return new Counter({ name, help, labelNames: ['component_id'], registers: [ctx.metrics.registry] });
}

export class ExecSource implements Source {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private started = false;
  private failures = 0;
  /** Leader pid of the last run: its group may outlive it (background children). */
  private lastPid: number | undefined;
  private readonly batcher: LineBatcher;
  private readonly restarts: Counter<'component_id'>;
  private readonly runs: Counter<'component_id'>;

  constructor(private readonly ctx: SourceContext, private readonly opts: ExecSourceOptions) {
    this.batcher = new LineBatcher(ctx, {
      maxLines: opts.batchMaxLines,
      timeoutMs: opts.batchTimeoutMs,
      maxLineBytes: opts.maxLineBytes,
      labelsFor: (stream) => ({ ...opts.labels, stream }),
    }, {
      pause: () => {
        this.child?.stdout?.pause();
        this.child?.stderr?.pause();
      },
      resume: () => {
        this.child?.stdout?.resume();
        this.child?.stderr?.resume();
      },
    });
    this.restarts = counter(ctx, 'vigil_source_exec_restarts_total', 'Times an exec source restarted its command after it exited.');
    this.runs = counter(ctx, 'vigil_source_exec_runs_total', 'Times an exec source started its command.');
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.launch();
  }

  /** Spawns the command once; schedules the next run (restart or interval) when it has finished. */
  private launch(): void {
    if (this.stopping) return;
    const o = this.opts;
    const startedAt = Date.now();
    let child: ChildProcess;
    try {
      const [file, ...args] = o.shell ? [o.command.join(' ')] : o.command;
      child = spawn(file as string, o.shell ? [] : args, {
        cwd: o.cwd,
        env: { ...process.env, ...o.env },
        shell: o.shell,
        detached: true, // its own process group: stop kills what it started, too
        stdio: ['ignore', 'pipe', o.includeStderr ? 'pipe' : 'ignore'],
      });
    } catch (err) {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.error({ err: errorMessage(err), command: o.command }, 'exec: cannot spawn command');
      this.scheduleNext(startedAt, false);
      return;
    }
    this.child = child;
    if (child.pid !== undefined) this.lastPid = child.pid;
    this.runs.inc({ component_id: this.ctx.id });
    child.stdout?.on('data', (b: Buffer) => this.batcher.push('stdout', b));
    child.stderr?.on('data', (b: Buffer) => this.batcher.push('stderr', b));
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        // ENOENT and the like: 'close' still follows.
        spawnError = err;
      });
      child.on('close', (code, signal) => {
        this.batcher.endStream('stdout');
        this.batcher.endStream('stderr');
        if (this.child === child) this.child = undefined;
        const ok = code === 0 && !spawnError;
        if (spawnError) {
          this.ctx.metrics.error('receiving');
          this.ctx.logger.error({ err: spawnError.message, command: o.command }, 'exec: cannot run command');
        } else if (!this.stopping) {
          const level = ok ? 'info' : 'warn';
          this.ctx.logger[level]({ command: o.command, exit_code: code, signal }, 'exec: command exited');
        }
        resolve();
        this.scheduleNext(startedAt, ok);
      });
    });
  }

  private scheduleNext(startedAt: number, ok: boolean): void {
    if (this.stopping) return;
    const o = this.opts;
    let delay: number;
    if (o.mode === 'interval') {
      delay = Math.max(0, startedAt + o.intervalMs - Date.now());
    } else {
      // A run that lasted longer than the longest backoff counts as healthy: start over from the minimum.
      if (ok || Date.now() - startedAt >= o.backoffMaxMs) this.failures = 0;
      delay = Math.min(o.backoffMaxMs, o.backoffMinMs * 2 ** Math.min(this.failures, 30));
      this.failures++;
      this.restarts.inc({ component_id: this.ctx.id });
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.launch();
    }, delay);
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (child && this.exited) {
      const pid = child.pid;
      // Reading must go on while it exits, or a child blocked on a full pipe never sees SIGTERM's effect.
      child.stdout?.resume();
      child.stderr?.resume();
      this.killGroup('SIGTERM');
      let grace: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => (grace = setTimeout(() => r(true), this.opts.killGraceMs))),
      ]);
      clearTimeout(grace);
      if (pid !== undefined) {
        // Members that ignored SIGTERM (or outlived the leader) are killed outright.
        try {
          process.kill(-pid, 'SIGKILL');
          if (timedOut) this.ctx.logger.warn({ pid }, 'exec: command did not exit after SIGTERM; killed');
        } catch {
          // ESRCH: nothing left.
        }
      }
      await this.exited;
    } else if (this.lastPid !== undefined) {
      // Between runs: what the last run left in the background goes too.
      try {
        process.kill(-this.lastPid, 'SIGKILL');
      } catch {
        // ESRCH: nothing left.
      }
    }
    this.batcher.close();
    await this.batcher.drain();
  }
}
