/**
 * A small pool of scan worker threads (sized to the cores), used by queries that scan many
 * chunks. Workers start on first use, do not keep the process alive, and exit after a minute
 * without work (each holds a V8 heap; an agent that is queried rarely should not keep them). If a worker cannot start
 * (or dies), the pool runs the scans inline instead, so a query never fails because of the pool.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ChunkCorruptError } from './chunk-codec.js';
import { scanChunk, type ChunkRef, type ScanResult, type ScanSpec } from './scan.js';
import type { ScanReply, ScanTask } from './scan-worker.js';

interface Job {
  task: ScanTask;
  resolve: (r: ScanResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** Terminated on purpose (idle): its exit is not a failure. */
  retired: boolean;
}



function workerSource(): { code: string; eval: boolean } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from TypeScript sources (tests, benches): register tsx inside the worker first.
    const tsxDir = dirname(createRequire(self).resolve('tsx/package.json'));
    const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
    const url = new URL('./scan-worker.ts', self).href;
    return { code: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, eval: true };
  }
  return { code: new URL('./scan-worker.js', self).href, eval: false };
}

function toError(r: Extract<ScanReply, { ok: false }>): Error {
  const e: Error & { code?: string } = r.name === 'ChunkCorruptError' ? new ChunkCorruptError(r.message) : new Error(r.message);
  if (r.code) e.code = r.code;
  return e;
}

export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private broken = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Chunks scanned by worker threads (not inline), for stats and tests. */
  scannedInWorkers = 0;

  constructor(
    private readonly logger: Logger,
    readonly size: number = Math.max(1, Math.min(4, availableParallelism())),
    private readonly idleRetireMs = 60_000,
  ) {}

  /** Worker threads currently started. */
  get running(): number {
    return this.slots.length;
  }

  /** Scans one chunk in a worker; same results and errors as scanChunk. */
  scan(ref: ChunkRef, spec: ScanSpec): Promise<ScanResult> {
    if (this.broken || this.closed) {
      try {
        return Promise.resolve(scanChunk(ref, spec));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise<ScanResult>((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, ref, spec }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Slot | undefined {
    try {
      const src = workerSource();
      const worker = src.eval ? new Worker(src.code, { eval: true }) : new Worker(new URL(src.code));
      worker.unref();
      const slot: Slot = { worker, job: undefined, retired: false };
      worker.on('message', (r: ScanReply) => {
        const job = slot.job;
        slot.job = undefined;
        worker.unref();
        if (job && job.task.id === r.id) {
          if (r.ok) {
            this.scannedInWorkers++;
            job.resolve(r.fields ? { ts: Array.from(r.ts), lines: r.lines, fields: r.fields } : { ts: Array.from(r.ts), lines: r.lines });
          }
          else job.reject(toError(r));
        }
        this.pump();
      });
      worker.on('error', (e) => {
        if (!slot.retired) this.fail(slot, e);
      });
      worker.on('exit', () => {
        if (!slot.retired) this.fail(slot, new Error('scan worker exited'));
      });
      this.slots.push(slot);
      return slot;
    } catch (e) {
      this.fail(undefined, e);
      return undefined;
    }
  }

  private fail(slot: Slot | undefined, e: unknown): void {
    if (this.closed) return;
    if (!this.broken) this.logger.warn({ error: (e as Error)?.message }, 'scan worker failed; scanning inline from now on');
    this.broken = true;
    const pending = [...this.slots.map((s) => s.job).filter((j): j is Job => j !== undefined), ...this.queue.splice(0)];
    if (slot) slot.job = undefined;
    for (const s of this.slots) s.job = undefined;
    for (const j of pending) {
      try {
        j.resolve(scanChunk(j.task.ref, j.task.spec));
      } catch (err) {
        j.reject(err);
      }
    }
  }

  private pump(): void {
    if (this.queue.length === 0 && !this.closed && this.slots.length > 0 && this.slots.every((s) => s.job === undefined)) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.retireIdle(), this.idleRetireMs);
      this.idleTimer.unref();
    }
    while (this.queue.length > 0 && !this.broken) {
      let slot = this.slots.find((s) => s.job === undefined);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref(); // a query is waiting on it
      slot.worker.postMessage(job.task);
    }
  }

  /** Ends the workers that have no job; the next scans start new ones. */
  private retireIdle(): void {
    this.idleTimer = undefined;
    for (const s of this.slots.filter((x) => x.job === undefined)) {
      s.retired = true;
      this.slots.splice(this.slots.indexOf(s), 1);
      void s.worker.terminate().catch(() => 0);
    }
  }

  /** Terminates the workers; pending scans finish inline. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const pending = [...this.slots.map((s) => s.job).filter((j): j is Job => j !== undefined), ...this.queue.splice(0)];
    await Promise.all(this.slots.map((s) => s.worker.terminate().catch(() => 0)));
    for (const j of pending) {
      try {
        j.resolve(scanChunk(j.task.ref, j.task.spec));
      } catch (err) {
        j.reject(err);
      }
    }
  }
}
