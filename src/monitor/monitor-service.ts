/**
 * The monitor service of `vigil run` (and `vigil agent` for remote locations): builds a prober per
 * monitor, runs them through the Scheduler, keeps each monitor's state (UP/DOWN/PENDING/PAUSED)
 * and its history, evaluates push heartbeats, and appends every result to the metrics sink with
 * blackbox_exporter's names.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { errorMessage } from '../core/errors.js';
import type { Labels } from '../core/labels.js';
import type { Service } from '../core/service.js';
import type { SampleAppender } from '../metrics/appender.js';
import type { HeartbeatMonitor, MonitorConfig } from './config.js';
import { HeartbeatClock, type HeartbeatParams } from './heartbeat.js';
import { HistoryStore, type RunRecord } from './history.js';
import type { ProbeDefinition, ProbeOutcome, Prober } from './probe.js';
import { instanceOf, monitorLabels, runSeries, SampleBatcher } from './samples.js';
import { Scheduler, type ScheduledJob } from './scheduler.js';
import { MonitorStateMachine, type MonitorState, type Transition } from './state.js';

export interface MonitorServiceOptions {
  monitors: MonitorConfig[];
  appender: SampleAppender;
  dataDir: string;
  logger: Logger;
  lookupProbe: (type: string) => ProbeDefinition | undefined;
  /** Where `vigil_monitor_*` metrics register. */
  registry: Registry;
  /** `instance` of monitors that check this machine (command, process, heartbeat). */
  hostname: string;
  /** `monitoring.max_concurrency` (default 64). */
  maxConcurrency?: number;
  /** `monitoring.history_retention` in ms (default 30 days). */
  historyRetentionMs?: number;
  /** Wall clock, ms (tests move it). */
  now?: () => number;
  /** How often buffered runs and samples are written (default 1000 ms). */
  flushIntervalMs?: number;
  /** How often heartbeat deadlines are checked (default 1000 ms). */
  heartbeatCheckMs?: number;
}

/** One row of `GET /api/vigil/v1/monitors`. */
export interface MonitorStatus {
  name: string;
  type: string;
  instance: string;
  state: MonitorState;
  /** Start of the current state, RFC 3339. */
  since: string;
  reason: string;
  lastRunAt: string | undefined;
  lastLatencyMs: number | undefined;
  /** Share of successful runs, 0..1, over 24 hours and 7 days (hourly buckets); null without runs. */
  uptime24h: number | null;
  uptime7d: number | null;
  /** Latencies of the latest runs, oldest first (NaN-free; failed runs included). */
  recentLatenciesMs: number[];
  intervalSeconds: number;
}

export interface MonitorHistory {
  transitions: Transition[];
  runs: RunRecord[];
}

interface Live {
  cfg: MonitorConfig;
  machine: MonitorStateMachine;
  prober: Prober | undefined;
  labels: Labels;
  instance: string;
  recent: number[];
  lastRunAt: number | undefined;
  heartbeat: HeartbeatClock | undefined;
}

const RECENT = 30;

/** Tokens are looked up by digest, so lookup timing says nothing about how much of a token matched. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
const DAY_MS = 86_400_000;

export class MonitorService implements Service<MonitorConfig[]> {
  private readonly live = new Map<string, Live>();
  private readonly byToken = new Map<string, string>();
  private readonly scheduler: Scheduler;
  private readonly now: () => number;
  private readonly batcher: SampleBatcher;
  private store: HistoryStore | undefined;
  private timers: NodeJS.Timeout[] = [];
  private startedAt = 0;
  private stopping = false;
  private retentionMs: number;
  private readonly m;

  constructor(private readonly opts: MonitorServiceOptions) {
    this.now = opts.now ?? Date.now;
    this.retentionMs = opts.historyRetentionMs ?? 30 * DAY_MS;
    const registers = [opts.registry];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client binds `this` in collect() to the metric
    const svc = this;
    this.m = {
      up: new Gauge({ name: 'vigil_monitor_up', help: 'Monitor state: 0 when DOWN, 1 when UP or PENDING (paused monitors have no series).', labelNames: ['monitor'], registers }),
      changes: new Counter({ name: 'vigil_monitor_state_changes_total', help: 'Monitor state transitions, by monitor and new state.', labelNames: ['monitor', 'to'], registers }),
      runs: new Counter({ name: 'vigil_monitor_runs_total', help: 'Probe runs and heartbeat results, by type and result.', labelNames: ['type', 'result'], registers }),
      skipped: new Counter({ name: 'vigil_monitor_skipped_runs_total', help: 'Runs skipped because the previous run of the monitor had not finished.', labelNames: ['monitor'], registers }),
      hung: new Counter({ name: 'vigil_monitor_hung_runs_total', help: 'Runs that did not stop within 5s after their timeout (a probe bug); their slot is freed.', labelNames: ['monitor'], registers }),
      dropped: new Counter({ name: 'vigil_monitor_samples_dropped_total', help: 'Probe samples the metrics sink did not take.', registers }),
      queued: new Gauge({
        name: 'vigil_monitor_queue_length', help: 'Due probe runs waiting for a free slot (monitoring.max_concurrency).', registers,
        // Read at scrape time, so the gauge is never stale.
        collect() { this.set(svc.scheduler.queued); },
      }),
    };
    this.scheduler = new Scheduler({ maxConcurrency: opts.maxConcurrency ?? 64, now: this.now, onSkip: (k) => this.m.skipped.inc({ monitor: k }),
      onHung: (k) => {
        this.m.hung.inc({ monitor: k });
        opts.logger.warn({ monitor: k }, 'probe run did not stop at its timeout; freeing its slot');
      },
    });
    this.batcher = new SampleBatcher(opts.appender, opts.logger, (n) => this.m.dropped.inc(n));
  }

  /** Opens the history, restores saved states and starts the schedule; throws if the history cannot be opened. */
  async start(): Promise<void> {
    this.store = new HistoryStore(join(this.opts.dataDir, 'monitors', 'history.db'));
    this.startedAt = this.now();
    this.stopping = false;
    this.apply(this.opts.monitors);
    this.scheduler.start();
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.opts.flushIntervalMs ?? 1_000, () => void this.flush());
    every(this.opts.heartbeatCheckMs ?? 1_000, () => this.checkHeartbeats());
    every(3_600_000, () => this.prune());
    this.prune();
  }

  /** Applies a new monitor list: unchanged monitors keep their state and schedule slot. */
  async reload(monitors: MonitorConfig[]): Promise<void> {
    this.apply(monitors);
  }

  /** Applies changed `monitoring:` settings (concurrency bound at once, retention at the next prune). */
  configure(settings: { maxConcurrency: number; historyRetentionMs: number }): void {
    this.scheduler.setMaxConcurrency(settings.maxConcurrency);
    this.retentionMs = settings.historyRetentionMs;
  }

  /** Stops probing, closes probers, writes what is buffered; idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.scheduler.stop();
    await Promise.allSettled([...this.live.values()].map((l) => l.prober?.close?.()));
    await this.flush();
    this.store?.close();
    this.store = undefined;
  }

  /** Writes buffered runs to the history and samples to the appender. */
  async flush(): Promise<void> {
    try {
      this.store?.flush();
    } catch (e) {
      this.opts.logger.error({ error: errorMessage(e) }, 'cannot write monitor history');
    }
    await this.batcher.flush();
  }

  private apply(monitors: MonitorConfig[]): void {
    const hist = this.store;
    if (!hist) throw new Error('MonitorService.apply before start');
    const saved = hist.loadStates();
    const now = this.now();
    const keep = new Set(monitors.map((m) => m.name));
    for (const [name, l] of this.live) {
      if (keep.has(name)) continue;
      void l.prober?.close?.();
      this.live.delete(name);
      this.m.up.remove({ monitor: name });
      hist.forget(name);
    }
    this.byToken.clear();
    const jobs: ScheduledJob[] = [];
    for (const cfg of monitors) {
      let l = this.live.get(cfg.name);
      const same = l !== undefined && JSON.stringify(l.cfg) === JSON.stringify(cfg);
      if (!l || !same) {
        if (l) void l.prober?.close?.();
        const restored = l?.machine.snapshot ?? saved.get(cfg.name);
        const machine = l?.machine ?? new MonitorStateMachine(cfg.name, cfg.retries, restored, now);
        machine.setRetries(cfg.retries);
        const options = cfg.kind === 'probe' ? cfg.options : undefined;
        const instance = instanceOf(options as Record<string, unknown> | undefined, this.opts.hostname);
        const prober = cfg.kind === 'probe' && cfg.enabled ? this.build(cfg.name, cfg.type, options) : undefined;
        const recent = l?.recent ?? hist.runs(cfg.name, now - 7 * DAY_MS, RECENT).map((r) => r.latencyMs);
        const lastPing = l?.heartbeat?.lastPing ?? saved.get(cfg.name)?.lastPing;
        const heartbeat = cfg.kind === 'heartbeat' ? new HeartbeatClock(cfg, lastPing, this.startedAt) : undefined;
        if (heartbeat && l?.heartbeat && cfg.kind === 'heartbeat') heartbeat.update(cfg, now);
        l = { cfg, machine, prober, labels: monitorLabels(cfg.name, cfg.type, instance, cfg.labels), instance, recent, lastRunAt: l?.lastRunAt, heartbeat };
        this.live.set(cfg.name, l);
      }
      const live = l;
      if (!cfg.enabled) {
        this.transition(live, live.machine.pause(now));
        this.m.up.remove({ monitor: cfg.name });
        continue;
      }
      this.transition(live, live.machine.resume(now));
      this.m.up.set({ monitor: cfg.name }, live.machine.snapshot.state === 'DOWN' ? 0 : 1);
      if (cfg.kind === 'heartbeat') {
        this.byToken.set(tokenKey(cfg.token), cfg.name);
        continue;
      }
      if (!live.prober) {
        // The type vanished from the registry since validation: fail visibly, do not crash.
        this.record(live, { success: false, durationSeconds: 0, reason: `unknown monitor type ${JSON.stringify(cfg.type)}`, samples: [] }, now);
        continue;
      }
      jobs.push({ key: cfg.name, intervalMs: cfg.intervalMs, timeoutMs: cfg.timeoutMs, run: (signal) => this.runProbe(live, signal) });
    }
    this.scheduler.set(jobs);
  }

  private build(name: string, type: string, options: unknown): Prober | undefined {
    const def = this.opts.lookupProbe(type);
    if (!def) return undefined;
    try {
      return def.build(options as never, { name, logger: this.opts.logger.child({ monitor: name }) });
    } catch (e) {
      this.opts.logger.error({ monitor: name, error: errorMessage(e) }, 'cannot build probe');
      return undefined;
    }
  }

  private async runProbe(l: Live, signal: AbortSignal): Promise<void> {
    const prober = l.prober;
    if (!prober) return;
    const t0 = this.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await prober.run(signal, l.cfg.timeoutMs);
    } catch (e) {
      // The contract says probers resolve; a rejection is a bug in the prober, reported as a failure.
      outcome = { success: false, durationSeconds: (this.now() - t0) / 1000, reason: `probe error: ${errorMessage(e)}`, samples: [] };
    }
    if (this.stopping || this.live.get(l.cfg.name) !== l) return; // aborted by stop or replaced by a reload
    this.record(l, outcome, t0);
  }

  private record(l: Live, outcome: ProbeOutcome, t: number): void {
    const name = l.cfg.name;
    const before = l.machine.snapshot.failures;
    const tr = l.machine.observe(outcome.success, outcome.success ? outcome.warning : outcome.reason, t);
    this.transition(l, tr);
    if (!tr && l.machine.snapshot.failures !== before) this.saveState(l);
    const latencyMs = Math.round(outcome.durationSeconds * 1e6) / 1e3;
    l.recent.push(latencyMs);
    if (l.recent.length > RECENT) l.recent.shift();
    l.lastRunAt = t;
    this.store?.addRun({ monitor: name, t, success: outcome.success, latencyMs, reason: outcome.success ? undefined : outcome.reason });
    this.batcher.add(runSeries(l.labels, outcome, t, l.machine.snapshot.state === 'DOWN' ? 0 : 1));
    this.m.runs.inc({ type: l.cfg.type, result: outcome.success ? 'success' : 'failure' });
  }

  private saveState(l: Live): void {
    try {
      this.store?.saveState(l.cfg.name, { ...l.machine.snapshot, lastPing: l.heartbeat?.lastPing });
    } catch (e) {
      this.opts.logger.error({ monitor: l.cfg.name, error: errorMessage(e) }, 'cannot save monitor state');
    }
  }

  private transition(l: Live, tr: Transition | undefined): void {
    if (!tr) return;
    this.m.changes.inc({ monitor: tr.monitor, to: tr.to });
    if (tr.to !== 'PAUSED') this.m.up.set({ monitor: tr.monitor }, tr.to === 'DOWN' ? 0 : 1);
    const level = tr.to === 'DOWN' ? 'warn' : 'info';
    this.opts.logger[level]({ monitor: tr.monitor, from: tr.from, to: tr.to, reason: tr.reason }, `monitor ${tr.monitor} is ${tr.to}`);
    try {
      this.store?.recordTransition(tr, { ...l.machine.snapshot, lastPing: l.heartbeat?.lastPing });
    } catch (e) {
      this.opts.logger.error({ monitor: tr.monitor, error: errorMessage(e) }, 'cannot record monitor transition');
    }
  }

  /**
   * A push to `/api/vigil/v1/push/<token>`. Returns the monitor's name, or undefined for an
   * unknown token (the route answers 404 without saying which tokens exist).
   */
  heartbeat(token: string, params: HeartbeatParams): string | undefined {
    const name = this.byToken.get(tokenKey(token));
    const l = name === undefined ? undefined : this.live.get(name);
    if (!l || !l.heartbeat || this.stopping) return undefined;
    const now = this.now();
    l.heartbeat.ping(now);
    const down = params.status === 'down';
    const outcome: ProbeOutcome = {
      success: !down,
      durationSeconds: (params.pingMs ?? 0) / 1000,
      samples: [{ name: 'vigil_heartbeat_last_ping_timestamp_seconds', value: now / 1000 }],
      ...(down ? { reason: params.msg ?? 'the job reported status=down' } : params.msg ? { warning: params.msg } : {}),
    };
    this.record(l, outcome, now);
    this.saveState(l);
    return name;
  }

  /** Declares missed heartbeats whose deadline passed (runs on a timer; tests call it after moving the clock). */
  checkHeartbeats(): void {
    if (this.stopping) return;
    const now = this.now();
    for (const l of this.live.values()) {
      if (!l.heartbeat || !l.cfg.enabled) continue;
      const reason = l.heartbeat.overdue(now, this.startedAt);
      if (reason !== undefined) this.record(l, { success: false, durationSeconds: 0, reason, samples: [] }, now);
    }
  }

  private prune(): void {
    const hist = this.store;
    if (!hist) return;
    const before = this.now() - this.retentionMs;
    const step = (): void => {
      if (this.store !== hist) return;
      try {
        if (hist.prune(before) > 0) setImmediate(step);
      } catch (e) {
        this.opts.logger.error({ error: errorMessage(e) }, 'cannot prune monitor history');
      }
    };
    step();
  }

  /** Every monitor's current state, uptime and recent latencies, sorted by name. */
  status(): MonitorStatus[] {
    const now = this.now();
    const day = this.store?.uptime(now - DAY_MS) ?? new Map<string, number>();
    const week = this.store?.uptime(now - 7 * DAY_MS) ?? new Map<string, number>();
    const out: MonitorStatus[] = [];
    for (const l of this.live.values()) {
      const s = l.machine.snapshot;
      out.push({
        name: l.cfg.name,
        type: l.cfg.type,
        instance: l.instance,
        state: s.state,
        since: new Date(s.since).toISOString(),
        reason: s.reason,
        lastRunAt: l.lastRunAt === undefined ? undefined : new Date(l.lastRunAt).toISOString(),
        lastLatencyMs: l.recent[l.recent.length - 1],
        uptime24h: day.get(l.cfg.name) ?? null,
        uptime7d: week.get(l.cfg.name) ?? null,
        recentLatenciesMs: [...l.recent],
        intervalSeconds: l.cfg.intervalMs / 1000,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Transitions and runs of one monitor since `sinceMs` (buffered runs included); undefined for an unknown name. */
  history(name: string, sinceMs: number, maxRuns = 10_000): MonitorHistory | undefined {
    if (!this.live.has(name) || !this.store) return undefined;
    this.store.flush();
    return { transitions: this.store.transitions(name, sinceMs), runs: this.store.runs(name, sinceMs, maxRuns) };
  }

  /** The heartbeat monitors' configs (for docs and `vigil check`). */
  heartbeats(): HeartbeatMonitor[] {
    return [...this.live.values()].map((l) => l.cfg).filter((c): c is HeartbeatMonitor => c.kind === 'heartbeat');
  }
}
