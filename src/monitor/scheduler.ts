/**
 * Runs many periodic jobs steadily. Each job's runs sit on a fixed grid: phase = a stable hash of
 * its key modulo its interval, so thousands of monitors with the same interval spread evenly
 * across it (and keep their slot across restarts), and a small random jitter per run keeps them
 * from locking into step with each other's targets. A global bound limits how many run at once;
 * due runs beyond it wait in a FIFO queue. A job never overlaps itself: a run that comes due
 * while the previous one is still running or queued is skipped and counted.
 */
import { createHash } from 'node:crypto';

export interface ScheduledJob {
  /** Stable identity (the monitor name): fixes the phase. */
  key: string;
  intervalMs: number;
  /** The run is aborted (signal) after this long. */
  timeoutMs: number;
  /** Must resolve or reject; the scheduler swallows rejections (the job reports its own errors). */
  run(signal: AbortSignal): Promise<void>;
}

export interface SchedulerOptions {
  maxConcurrency: number;
  /** Wall clock, ms (tests may move it). */
  now?: () => number;
  /** Largest jitter, as a fraction of the interval (default 0.02), capped at `maxJitterMs`. */
  jitterRatio?: number;
  maxJitterMs?: number;
  /** Called when a due run is skipped because the previous one has not finished. */
  onSkip?: (key: string) => void;
  /** Called when a run did not settle `hungGraceMs` after its timeout aborted it (a probe bug). */
  onHung?: (key: string) => void;
  /** Default 5000. */
  hungGraceMs?: number;
  random?: () => number;
}

interface Entry {
  job: ScheduledJob;
  /** The grid time of the next run (before jitter). */
  nextAt: number;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
  controller: AbortController | undefined;
  removed: boolean;
}

/** Phase of `key` within `intervalMs`: the same on every start and machine. */
export function phaseOf(key: string, intervalMs: number): number {
  const h = createHash('sha1').update(key).digest();
  return h.readUInt32BE(0) % Math.max(1, Math.floor(intervalMs));
}

/** First grid time >= now for a job of this key and interval. */
export function firstRunAt(key: string, intervalMs: number, now: number): number {
  const phase = phaseOf(key, intervalMs);
  const base = now - (now % intervalMs) + phase;
  return base >= now ? base : base + intervalMs;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly running = new Set<Promise<void>>();
  private active = 0;
  private started = false;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly jitterRatio: number;
  private readonly maxJitterMs: number;
  private maxConcurrency: number;
  private readonly hungGraceMs: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.jitterRatio = opts.jitterRatio ?? 0.02;
    this.maxJitterMs = opts.maxJitterMs ?? 1_000;
    this.maxConcurrency = opts.maxConcurrency;
    this.hungGraceMs = opts.hungGraceMs ?? 5_000;
  }

  /** Runs currently executing. */
  get inFlight(): number {
    return this.active;
  }

  /** Due runs waiting for a free slot. */
  get queued(): number {
    return this.queue.length;
  }

  setMaxConcurrency(n: number): void {
    this.maxConcurrency = n;
    this.drain();
  }

  /**
   * Adds or replaces jobs by key. A replaced job keeps its grid when its interval is unchanged
   * (a reload does not make every monitor fire at once); a running run of it finishes first.
   */
  set(jobs: ReadonlyArray<ScheduledJob>): void {
    const keep = new Set(jobs.map((j) => j.key));
    for (const [key, e] of this.entries) if (!keep.has(key)) this.removeEntry(e);
    for (const job of jobs) {
      const old = this.entries.get(job.key);
      if (old && old.job.intervalMs === job.intervalMs) {
        old.job = job;
        continue;
      }
      if (old) this.removeEntry(old);
      const e: Entry = { job, nextAt: firstRunAt(job.key, job.intervalMs, this.now()), timer: undefined, busy: false, controller: undefined, removed: false };
      // Carry the busy flag across a replace so the new entry does not overlap the old run.
      if (old?.busy) e.busy = true;
      this.entries.set(job.key, e);
      if (this.started) this.arm(e);
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const e of this.entries.values()) this.arm(e);
  }

  /** Stops timers, aborts running jobs and waits for them; idempotent. */
  async stop(): Promise<void> {
    this.started = false;
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      e.controller?.abort();
    }
    this.queue.length = 0;
    await Promise.allSettled([...this.running]);
  }

  private removeEntry(e: Entry): void {
    e.removed = true;
    if (e.timer) clearTimeout(e.timer);
    e.controller?.abort();
    const i = this.queue.indexOf(e);
    if (i >= 0) this.queue.splice(i, 1);
    this.entries.delete(e.job.key);
  }

  private arm(e: Entry): void {
    const span = Math.min(e.job.intervalMs * this.jitterRatio, this.maxJitterMs);
    const jitter = (this.random() * 2 - 1) * span;
    const delay = Math.max(0, e.nextAt + jitter - this.now());
    e.timer = setTimeout(() => this.due(e), delay);
    e.timer.unref?.();
  }

  private due(e: Entry): void {
    e.timer = undefined;
    if (!this.started || e.removed) return;
    // Advance on the grid, skipping slots already missed (a paused process must not burst).
    const now = this.now();
    e.nextAt += e.job.intervalMs;
    if (e.nextAt <= now) e.nextAt += Math.ceil((now - e.nextAt + 1) / e.job.intervalMs) * e.job.intervalMs;
    this.arm(e);
    if (e.busy) {
      this.opts.onSkip?.(e.job.key);
      return;
    }
    e.busy = true;
    this.queue.push(e);
    this.drain();
  }

  private drain(): void {
    while (this.active < this.maxConcurrency && this.queue.length > 0) {
      const e = this.queue.shift() as Entry;
      this.active++;
      const p = this.execute(e).finally(() => {
        this.active--;
        this.running.delete(p);
        this.drain();
      });
      this.running.add(p);
    }
  }

  private async execute(e: Entry): Promise<void> {
    const controller = new AbortController();
    e.controller = controller;
    const timer = setTimeout(() => controller.abort(new Error(`timeout after ${e.job.timeoutMs}ms`)), e.job.timeoutMs);
    // The job reports its own failures; a rejection must not stop the scheduler.
    const run = e.job.run(controller.signal).catch(() => undefined);
    let hardTimer: NodeJS.Timeout | undefined;
    const hung = new Promise<boolean>((resolve) => {
      hardTimer = setTimeout(() => resolve(true), e.job.timeoutMs + this.hungGraceMs);
    });
    const timedOut = await Promise.race([run.then(() => false), hung]);
    clearTimeout(timer);
    clearTimeout(hardTimer);
    const release = (): void => {
      e.controller = undefined;
      e.busy = false;
      // A job replaced during its run: the replacement was created busy; free it too.
      const cur = this.entries.get(e.job.key);
      if (cur && cur !== e) cur.busy = false;
    };
    if (timedOut) {
      // A run that ignores its abort gives its concurrency slot back (others must not starve) but
      // stays busy, so the job is skipped rather than run twice until it finally settles.
      this.opts.onHung?.(e.job.key);
      void run.then(release);
      return;
    }
    release();
  }
}
