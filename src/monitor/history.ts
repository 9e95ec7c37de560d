/**
 * Monitor history in SQLite (`<dataDir>/monitors/history.db`): state transitions with their
 * reason, one row per run (success, latency, reason), hourly per-monitor aggregates for uptime
 * percentages, and the last state of each monitor so a restart resumes where it stopped.
 * Runs are buffered and written in one transaction per flush (better-sqlite3 is synchronous;
 * thousands of monitors must not cost a write each). Retention deletes in bounded slices.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { MonitorState, StateSnapshot, Transition } from './state.js';

export interface RunRecord {
  monitor: string;
  /** Start of the run, ms. */
  t: number;
  success: boolean;
  latencyMs: number;
  reason: string | undefined;
}

export interface StoredState extends StateSnapshot {
  /** Last heartbeat ping, ms (heartbeat monitors only). */
  lastPing: number | undefined;
}

const HOUR_MS = 3_600_000;
const PRUNE_SLICE = 5_000;

export class HistoryStore {
  private readonly db: Database.Database;
  private pending: RunRecord[] = [];
  private readonly stmts;

  /** Opens (creating) the database; throws when the file cannot be opened. */
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS transitions (id INTEGER PRIMARY KEY, monitor TEXT NOT NULL, t INTEGER NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL, reason TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS transitions_monitor_t ON transitions (monitor, t);
      CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, monitor TEXT NOT NULL, t INTEGER NOT NULL, success INTEGER NOT NULL, latency_ms REAL NOT NULL, reason TEXT);
      CREATE INDEX IF NOT EXISTS runs_monitor_t ON runs (monitor, t);
      CREATE INDEX IF NOT EXISTS runs_t ON runs (t);
      CREATE TABLE IF NOT EXISTS runs_hourly (monitor TEXT NOT NULL, hour INTEGER NOT NULL, total INTEGER NOT NULL, ok INTEGER NOT NULL, latency_sum REAL NOT NULL, PRIMARY KEY (monitor, hour)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS monitor_state (monitor TEXT PRIMARY KEY, state TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL, failures INTEGER NOT NULL, last_ping INTEGER);
    `);
    this.stmts = {
      transition: this.db.prepare('INSERT INTO transitions (monitor, t, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)'),
      run: this.db.prepare('INSERT INTO runs (monitor, t, success, latency_ms, reason) VALUES (?, ?, ?, ?, ?)'),
      hourly: this.db.prepare(
        'INSERT INTO runs_hourly (monitor, hour, total, ok, latency_sum) VALUES (?, ?, 1, ?, ?) ON CONFLICT (monitor, hour) DO UPDATE SET total = total + 1, ok = ok + excluded.ok, latency_sum = latency_sum + excluded.latency_sum',
      ),
      saveState: this.db.prepare(
        'INSERT INTO monitor_state (monitor, state, since, reason, failures, last_ping) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (monitor) DO UPDATE SET state = excluded.state, since = excluded.since, reason = excluded.reason, failures = excluded.failures, last_ping = excluded.last_ping',
      ),
      loadStates: this.db.prepare('SELECT monitor, state, since, reason, failures, last_ping FROM monitor_state'),
      uptime: this.db.prepare('SELECT monitor, SUM(total) AS total, SUM(ok) AS ok FROM runs_hourly WHERE hour >= ? GROUP BY monitor'),
      transitionsOf: this.db.prepare('SELECT t, from_state, to_state, reason FROM transitions WHERE monitor = ? AND t >= ? ORDER BY t, id'),
      runsOf: this.db.prepare('SELECT t, success, latency_ms, reason FROM runs WHERE monitor = ? AND t >= ? ORDER BY t DESC, id DESC LIMIT ?'),
      pruneRuns: this.db.prepare(`DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE t < ? LIMIT ${PRUNE_SLICE})`),
      pruneTransitions: this.db.prepare(`DELETE FROM transitions WHERE id IN (SELECT id FROM transitions WHERE t < ? LIMIT ${PRUNE_SLICE})`),
      pruneHourly: this.db.prepare('DELETE FROM runs_hourly WHERE hour < ?'),
      forget: this.db.prepare('DELETE FROM monitor_state WHERE monitor = ?'),
    };
  }

  /** Records a transition at once (rare, and what an operator asks about first). */
  recordTransition(tr: Transition, state: StoredState): void {
    this.db.transaction(() => {
      this.stmts.transition.run(tr.monitor, tr.t, tr.from, tr.to, tr.reason);
      this.saveStateNow(tr.monitor, state);
    })();
  }

  /** Saves the restorable state of a monitor (failure count, last ping) without a transition. */
  saveState(monitor: string, state: StoredState): void {
    this.saveStateNow(monitor, state);
  }

  private saveStateNow(monitor: string, s: StoredState): void {
    this.stmts.saveState.run(monitor, s.state, s.since, s.reason, s.failures, s.lastPing ?? null);
  }

  /** Buffers a run; `flush` writes the buffer. */
  addRun(r: RunRecord): void {
    this.pending.push(r);
  }

  /** Writes buffered runs in one transaction. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const r of batch) {
        const ok = r.success ? 1 : 0;
        this.stmts.run.run(r.monitor, r.t, ok, r.latencyMs, r.reason ?? null);
        this.stmts.hourly.run(r.monitor, Math.floor(r.t / HOUR_MS) * HOUR_MS, ok, r.latencyMs);
      }
    })();
  }

  /** Last saved state of every monitor, by name. */
  loadStates(): Map<string, StoredState> {
    const out = new Map<string, StoredState>();
    for (const row of this.stmts.loadStates.all() as Array<{ monitor: string; state: MonitorState; since: number; reason: string; failures: number; last_ping: number | null }>) {
      out.set(row.monitor, { state: row.state, since: row.since, reason: row.reason, failures: row.failures, lastPing: row.last_ping ?? undefined });
    }
    return out;
  }

  /** Drops the saved state of a monitor removed from the config (its history stays until retention). */
  forget(monitor: string): void {
    this.stmts.forget.run(monitor);
  }

  /**
   * Share of successful runs per monitor since `sinceMs`, from hourly buckets (the bucket holding
   * `sinceMs` counts whole). Monitors without runs are absent.
   */
  uptime(sinceMs: number): Map<string, number> {
    const out = new Map<string, number>();
    const rows = this.stmts.uptime.all(Math.floor(sinceMs / HOUR_MS) * HOUR_MS) as Array<{ monitor: string; total: number; ok: number }>;
    for (const r of rows) if (r.total > 0) out.set(r.monitor, r.ok / r.total);
    return out;
  }

  transitions(monitor: string, sinceMs: number): Transition[] {
    const rows = this.stmts.transitionsOf.all(monitor, sinceMs) as Array<{ t: number; from_state: MonitorState; to_state: MonitorState; reason: string }>;
    return rows.map((r) => ({ monitor, t: r.t, from: r.from_state, to: r.to_state, reason: r.reason }));
  }

  /** Runs since `sinceMs`, oldest first, at most `limit` (the newest ones). */
  runs(monitor: string, sinceMs: number, limit: number): RunRecord[] {
    const rows = this.stmts.runsOf.all(monitor, sinceMs, limit) as Array<{ t: number; success: number; latency_ms: number; reason: string | null }>;
    return rows.reverse().map((r) => ({ monitor, t: r.t, success: r.success === 1, latencyMs: r.latency_ms, reason: r.reason ?? undefined }));
  }

  /**
   * Deletes history older than `beforeMs`, at most a few slices per call so the event loop is
   * never held long; returns the rows deleted (call again while it returns > 0).
   */
  prune(beforeMs: number): number {
    let n = 0;
    n += this.stmts.pruneRuns.run(beforeMs).changes;
    n += this.stmts.pruneTransitions.run(beforeMs).changes;
    n += this.stmts.pruneHourly.run(Math.floor(beforeMs / HOUR_MS) * HOUR_MS).changes;
    return n;
  }

  /** Flushes and closes; idempotent. */
  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
