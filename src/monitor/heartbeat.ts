/**
 * Push monitors (dead-man's switches): a job calls `/api/vigil/v1/push/<token>` when it ran; the
 * monitor fails when no ping came for `interval + grace`, and once more every further `interval`
 * (so `retries` counts missed intervals). Like Uptime Kuma's push monitors, a ping may say
 * `status=down` with a message, and report its own duration as `ping=<ms>`.
 */
import { formatDuration } from '../core/time.js';
import { VigilError } from '../core/errors.js';
import type { HeartbeatMonitor } from './config.js';

/** What a push request carries (query string or form/JSON body). */
export interface HeartbeatParams {
  status?: 'up' | 'down';
  msg?: string;
  /** The job's own duration, ms. */
  pingMs?: number;
}

/** Checks raw push parameters; throws VigilError BAD_REQUEST naming the bad one. */
export function parseHeartbeatParams(q: Record<string, unknown>): HeartbeatParams {
  const out: HeartbeatParams = {};
  const status = q['status'];
  if (status !== undefined && status !== '') {
    if (status !== 'up' && status !== 'down') throw new VigilError('BAD_REQUEST', `status: must be "up" or "down", got ${JSON.stringify(status)}`);
    out.status = status;
  }
  const msg = q['msg'];
  if (typeof msg === 'string' && msg !== '') out.msg = msg.slice(0, 1000);
  const ping = q['ping'];
  if (ping !== undefined && ping !== '') {
    const n = Number(ping);
    if (!Number.isFinite(n) || n < 0) throw new VigilError('BAD_REQUEST', `ping: must be a duration in milliseconds >= 0, got ${JSON.stringify(ping)}`);
    out.pingMs = n;
  }
  return out;
}

/** The deadline bookkeeping of one heartbeat monitor. */
export class HeartbeatClock {
  /** When the next miss is declared, ms. */
  private deadline: number;

  /**
   * `lastPing` comes from the saved state. The first deadline counts from the later of the last
   * ping and `startedAt`: pings sent while Vigil itself was down were refused, not missed.
   */
  constructor(
    private cfg: HeartbeatMonitor,
    public lastPing: number | undefined,
    startedAt: number,
  ) {
    this.deadline = Math.max(lastPing ?? startedAt, startedAt) + cfg.intervalMs + cfg.graceMs;
  }

  update(cfg: HeartbeatMonitor, now: number): void {
    this.cfg = cfg;
    this.deadline = Math.max(this.lastPing ?? now, now - cfg.intervalMs) + cfg.intervalMs + cfg.graceMs;
  }

  ping(now: number): void {
    this.lastPing = now;
    this.deadline = now + this.cfg.intervalMs + this.cfg.graceMs;
  }

  /** The reason of a miss when the deadline passed (and moves it one interval on), else undefined. */
  overdue(now: number, startedAt: number): string | undefined {
    if (now < this.deadline) return undefined;
    this.deadline = now + this.cfg.intervalMs;
    const from = this.lastPing ?? startedAt;
    const ago = formatDuration(Math.floor((now - from) / 1000) * 1_000_000);
    return this.lastPing === undefined ? `no heartbeat since start (${ago})` : `no heartbeat for ${ago}`;
  }
}
