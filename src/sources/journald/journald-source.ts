/**
 * Follows the systemd journal through `journalctl -o json -f` and acknowledges by cursor: a batch's
 * last `__CURSOR` is written to the checkpoint only after `ctx.emit` resolved (every sink took it
 * durably), and every run of journalctl starts just after the last cursor read (or, after a failed
 * emit, acknowledged). So a crash or a refused batch costs at most a re-read of unacknowledged
 * entries, never a loss. journalctl runs in its own process group and is restarted with
 * exponential backoff whenever it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Counter } from 'prom-client';
import type { Source, SourceContext } from '../../components/contract.js';
import { errorMessage } from '../../core/errors.js';
import { LineSplitter } from '../file/line-splitter.js';
import { journalctlArgs, type JournalctlOptions, type StartPoint } from './command.js';
import { CursorFile, type JournalPosition } from './cursor-file.js';
import { EntryMapper, type EntryMapperOptions } from './entry.js';
import { LogLimiter } from './log-limiter.js';

export interface JournaldSourceOptions {
  journalctlPath: string;
  command: JournalctlOptions;
  mapper: EntryMapperOptions;
  /** Longer JSON lines (whole entries) are dropped, counted `entry_too_large`. */
  maxEntryBytes: number;
  batchMaxEntries: number;
  batchMaxBytes: number;
  batchTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  killGraceMs: number;
}

/** What journalctl 252 prints for a cursor it cannot parse ("Failed to seek to cursor: Invalid argument"). */
const CURSOR_ERROR = /seek to cursor|cursor.*invalid|invalid.*cursor/i;

function counter(ctx: SourceContext, name: string, help: string): Counter<'component_id'> {
  const existing = ctx.metrics.registry.getSingleMetric(name);
  if (existing) return existing as Counter<'component_id'>;
  return new Counter({ name, help, labelNames: ['component_id'], registers: [ctx.metrics.registry] });
}

/** One run of journalctl and what it told us. */
interface Run {
  child: ChildProcess;
  exited: Promise<void>;
  start: StartPoint;
  entries: number;
  stderrTail: string[];
  /** Killed on purpose to re-read from the acknowledged cursor. */
  replay: boolean;
}

export class JournaldSource implements Source {
  private run: Run | undefined;
  private readonly cursorFile: CursorFile;
  private acked: JournalPosition = {};
  private readonly mapper: EntryMapper;
  private readonly splitter: LineSplitter;
  private readonly scratch = { lines: [] as string[], ends: [] as number[] };
  private stderrPartial = '';
  /** Full batches waiting for the one in flight (at most what one stdout chunk held: reading is paused meanwhile). */
  private readonly ready: Array<ReturnType<EntryMapper['take']>> = [];
  private inFlight: Promise<void> | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The next run starts as the `since` option says, not from a saved time. */
  private fresh = false;
  private failures = 0;
  private started = false;
  private stopping = false;
  private lastPid: number | undefined;
  private readonly stderrLog = new LogLimiter(20, 10_000);
  private readonly badLog = new LogLimiter(10, 10_000);
  private readonly restarts: Counter<'component_id'>;
  private readonly cursorInvalid: Counter<'component_id'>;

  constructor(private readonly ctx: SourceContext, private readonly opts: JournaldSourceOptions) {
    this.cursorFile = new CursorFile(ctx.dataDir);
    this.mapper = new EntryMapper(opts.mapper);
    this.splitter = new LineSplitter({ maxLineBytes: opts.maxEntryBytes, onLongLine: 'truncate', encoding: 'utf8' });
    this.restarts = counter(ctx, 'vigil_source_journald_restarts_total', 'Times a journald source restarted journalctl after it exited.');
    this.cursorInvalid = counter(ctx, 'vigil_source_journald_cursor_invalid_total', 'Times journalctl refused the saved cursor and the journald source started over from `since`.');
  }

  /** The acknowledged position (for tests and `vigil` status output). */
  get position(): Readonly<JournalPosition> {
    return this.acked;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { position, problem } = this.cursorFile.load();
    if (problem) {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.warn({ error: problem }, 'journald: checkpoint unreadable');
    }
    this.acked = position;
    this.mapper.lastCursor = position.cursor;
    if (position.cursor === undefined && position.sinceUs === undefined) await this.beginFresh();
    this.launch();
  }

  /** No usable position: start as `since` says, remembering when, so a restart does not skip ahead. */
  private async beginFresh(): Promise<void> {
    this.fresh = true;
    this.acked = this.opts.command.since === 'now' ? { sinceUs: this.ctx.now() } : {};
    await this.saveQuietly();
  }

  private async saveQuietly(): Promise<void> {
    try {
      await this.cursorFile.save(this.acked);
    } catch (err) {
      this.ctx.metrics.error('processing');
      this.ctx.logger.error({ error: errorMessage(err), path: this.cursorFile.path }, 'journald: cannot write checkpoint');
    }
  }

  private startPoint(): StartPoint {
    const cursor = this.mapper.lastCursor;
    if (cursor !== undefined) return { kind: 'cursor', cursor };
    if (!this.fresh && this.acked.sinceUs !== undefined) return { kind: 'time', sinceUs: this.acked.sinceUs };
    return { kind: 'option' };
  }

  private launch(): void {
    if (this.stopping) return;
    const start = this.startPoint();
    this.fresh = false;
    const args = journalctlArgs(this.opts.command, start);
    this.splitter.reset();
    this.stderrPartial = '';
    let child: ChildProcess;
    try {
      child = spawn(this.opts.journalctlPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.error({ error: errorMessage(err), path: this.opts.journalctlPath }, 'journald: cannot spawn journalctl');
      this.scheduleRestart(false);
      return;
    }
    if (child.pid !== undefined) this.lastPid = child.pid;
    let spawnError: Error | undefined;
    const run: Run = { child, exited: Promise.resolve(), start, entries: 0, stderrTail: [], replay: false };
    run.exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        spawnError = err; // ENOENT and the like; 'close' follows
      });
      child.on('close', (code, signal) => {
        resolve();
        this.onExit(run, code, signal, spawnError);
      });
    });
    child.stdout?.on('data', (b: Buffer) => {
      if (this.run === run && !run.replay) this.onStdout(run, b);
    });
    child.stderr?.on('data', (b: Buffer) => this.onStderr(run, b));
    this.run = run;
    this.ctx.logger.debug({ args }, 'journald: journalctl started');
  }

  private onStdout(run: Run, chunk: Buffer): void {
    const out = this.scratch;
    this.splitter.push(chunk, 0, out);
    const now = this.ctx.now();
    let n = 0;
    // A truncated line is the head of an oversized entry (counted below), not malformed output.
    const cutAt = this.splitter.longLines > 0 ? this.opts.maxEntryBytes - 3 : Infinity;
    for (let i = 0; i < out.lines.length; i++) {
      const line = out.lines[i] as string;
      if (line.length === 0) continue;
      if (line.length >= cutAt / 3 && Buffer.byteLength(line) >= cutAt) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (err) {
        this.ctx.metrics.error('processing');
        if (this.badLog.allow()) {
          this.ctx.logger.warn({ error: errorMessage(err), entry: run.entries + n + 1, excerpt: line.slice(0, 200) }, 'journald: journalctl printed a line that is not JSON; skipped');
        }
        continue;
      }
      const problem = this.mapper.add(obj, now);
      if (problem === 'not_an_object') {
        this.ctx.metrics.error('processing');
        if (this.badLog.allow()) this.ctx.logger.warn({ entry: run.entries + n + 1, excerpt: line.slice(0, 200) }, 'journald: JSON line is not an object; skipped');
        continue;
      }
      if (problem !== undefined) {
        this.ctx.metrics.error('processing');
        if (this.badLog.allow()) this.ctx.logger.warn({ problem, entry: run.entries + n + 1, excerpt: line.slice(0, 200) }, 'journald: entry taken with a problem');
      }
      n++;
      if (this.mapper.count >= this.opts.batchMaxEntries || this.mapper.bytes >= this.opts.batchMaxBytes) this.ready.push(this.mapper.take());
    }
    out.lines.length = 0;
    out.ends.length = 0;
    if (this.splitter.longLines > 0) {
      this.ctx.metrics.discarded('entry_too_large', this.splitter.longLines);
      if (this.badLog.allow()) this.ctx.logger.warn({ entries: this.splitter.longLines, max_entry_size: this.opts.maxEntryBytes }, 'journald: entry larger than max_entry_size dropped');
      this.splitter.longLines = 0;
      this.splitter.truncatedBytes = 0;
    }
    run.entries += n;
    this.ctx.metrics.received(n, chunk.length);
    if (this.ready.length > 0) this.kick();
    else if (this.mapper.count > 0) this.armBatchTimer();
    // A run started while an emit is pending must wait too, or full batches pile up in memory.
    if (this.inFlight) run.child.stdout?.pause();
  }

  private onStderr(run: Run, chunk: Buffer): void {
    const text = this.stderrPartial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.stderrPartial = (lines.pop() ?? '').slice(0, 4096);
    for (const l of lines) {
      const line = l.trimEnd();
      if (line === '') continue;
      run.stderrTail.push(line);
      if (run.stderrTail.length > 10) run.stderrTail.shift();
      if (this.stderrLog.allow()) this.ctx.logger.warn({ stderr: line, suppressed: this.stderrLog.takeSuppressed() }, 'journald: journalctl said');
    }
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): void {
    if (this.run === run) this.run = undefined;
    if (this.stderrPartial !== '') run.stderrTail.push(this.stderrPartial);
    if (this.stopping) return;
    if (run.replay) {
      this.scheduleRestart(false);
      return;
    }
    if (spawnError) {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.error({ error: spawnError.message, path: this.opts.journalctlPath }, 'journald: cannot run journalctl');
      this.scheduleRestart(false);
      return;
    }
    const cursorRefused = run.start.kind === 'cursor' && run.entries === 0 && code !== 0 && run.stderrTail.some((l) => CURSOR_ERROR.test(l));
    if (cursorRefused) {
      this.cursorInvalid.inc({ component_id: this.ctx.id });
      this.ctx.logger.warn(
        { cursor: run.start.kind === 'cursor' ? run.start.cursor : undefined, stderr: run.stderrTail.join('\n'), since: this.opts.command.since },
        'journald: journalctl refused the saved cursor (journal rotated, vacuumed or cursor corrupt); starting over from `since`',
      );
      this.mapper.clear();
      void this.beginFresh().then(() => this.scheduleRestart(true));
      return;
    }
    this.ctx.logger.warn({ exit_code: code, signal, entries: run.entries, stderr: run.stderrTail.slice(-3).join('\n') }, 'journald: journalctl exited');
    this.scheduleRestart(false);
  }

  private scheduleRestart(immediate: boolean): void {
    if (this.stopping || this.restartTimer) return;
    const o = this.opts;
    const delay = immediate ? 0 : Math.min(o.backoffMaxMs, o.backoffMinMs * 2 ** Math.min(this.failures, 30));
    if (!immediate) this.failures++;
    this.restarts.inc({ component_id: this.ctx.id });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.launch();
    }, delay);
  }

  private armBatchTimer(): void {
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      this.kick();
    }, this.opts.batchTimeoutMs);
  }

  /** Emits what is held unless an emit is pending (it re-checks when that settles). */
  private kick(): void {
    if (this.inFlight) return;
    let next = this.ready.shift();
    if (!next) {
      if (this.mapper.count === 0) return;
      if (this.batchTimer) clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
      next = this.mapper.take();
    }
    const { batch, entries, bytes, cursor } = next;
    const run = this.run;
    run?.child.stdout?.pause();
    this.inFlight = this.deliver(batch, entries, bytes, cursor).finally(() => {
      this.inFlight = undefined;
      if (this.ready.length > 0) this.kick();
      else {
        this.run?.child.stdout?.resume();
        if (this.mapper.count > 0) this.armBatchTimer();
      }
    });
  }

  private async deliver(batch: Parameters<SourceContext['emit']>[0], entries: number, bytes: number, cursor: string | undefined): Promise<void> {
    try {
      await this.ctx.emit(batch);
    } catch (err) {
      this.ctx.metrics.error('sending', entries);
      this.ctx.logger.warn({ error: errorMessage(err), entries, cursor: this.acked.cursor }, 'journald: emit failed; re-reading from the acknowledged cursor');
      this.replayFromAcked();
      return;
    }
    this.ctx.metrics.sent(entries, bytes);
    // A run that delivered is healthy: the next restart starts from the shortest wait again.
    this.failures = 0;
    if (cursor === undefined || cursor === this.acked.cursor) return;
    this.acked = { cursor };
    await this.saveQuietly();
  }

  /** Drops what was read past the acknowledged cursor and restarts journalctl from there. */
  private replayFromAcked(): void {
    this.ready.length = 0;
    this.mapper.clear();
    this.mapper.lastCursor = this.acked.cursor;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.stopping) return;
    const run = this.run;
    if (run) {
      run.replay = true;
      run.child.stdout?.resume(); // let it see SIGTERM instead of blocking on a full pipe
      this.killGroup(run.child.pid, 'SIGTERM');
    } else if (this.restartTimer === undefined) {
      this.scheduleRestart(false);
    }
  }

  private killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  async stop(): Promise<void> {
    if (this.stopping || !this.started) {
      this.stopping = true;
      return;
    }
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const run = this.run;
    if (run) {
      run.child.stdout?.resume();
      this.killGroup(run.child.pid, 'SIGTERM');
      let grace: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        run.exited.then(() => false),
        new Promise<boolean>((r) => (grace = setTimeout(() => r(true), this.opts.killGraceMs))),
      ]);
      clearTimeout(grace);
      this.killGroup(run.child.pid, 'SIGKILL');
      if (timedOut) this.ctx.logger.warn({ pid: run.child.pid }, 'journald: journalctl did not exit after SIGTERM; killed');
      await run.exited;
    } else {
      this.killGroup(this.lastPid, 'SIGKILL');
    }
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    // What was read is handed on; if that fails the cursor stays put and the next start re-reads it.
    for (;;) {
      if (!this.inFlight) this.kick();
      const p = this.inFlight;
      if (!p) break;
      await p;
    }
  }
}
