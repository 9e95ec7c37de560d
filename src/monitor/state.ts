/**
 * The state of one monitor: UP, DOWN, PENDING (failing, still within `retries`, or no result yet)
 * and PAUSED (disabled). Pure: the service feeds it results and records the transitions it returns.
 */

export type MonitorState = 'UP' | 'DOWN' | 'PENDING' | 'PAUSED';

export interface Transition {
  monitor: string;
  /** ms since the epoch. */
  t: number;
  from: MonitorState;
  to: MonitorState;
  reason: string;
}

/** What a restart restores (also what the status API shows). */
export interface StateSnapshot {
  state: MonitorState;
  /** When the current state began, ms. */
  since: number;
  reason: string;
  /** Consecutive failures so far. */
  failures: number;
}

export class MonitorStateMachine {
  private s: StateSnapshot;

  constructor(
    readonly name: string,
    private retries: number,
    restored: StateSnapshot | undefined,
    now: number,
  ) {
    this.s = restored ? { ...restored } : { state: 'PENDING', since: now, reason: 'waiting for the first result', failures: 0 };
  }

  get snapshot(): Readonly<StateSnapshot> {
    return this.s;
  }

  setRetries(n: number): void {
    this.retries = n;
  }

  /**
   * Applies one result. Success → UP; failure → PENDING while consecutive failures ≤ retries,
   * then DOWN (DOWN stays DOWN). Returns the transition when the state changed.
   */
  observe(success: boolean, reason: string | undefined, t: number): Transition | undefined {
    if (success) {
      this.s.failures = 0;
      return this.move('UP', reason ?? 'up', t);
    }
    this.s.failures++;
    const why = reason ?? 'failed';
    if (this.s.failures > this.retries) return this.move('DOWN', why, t);
    if (this.s.state === 'DOWN') {
      this.s.reason = why;
      return undefined;
    }
    return this.move('PENDING', `${why} (failure ${this.s.failures} of ${this.retries + 1} before DOWN)`, t);
  }

  /** Disabled by config: PAUSED until resumed (resume goes to PENDING until the next result). */
  pause(t: number): Transition | undefined {
    return this.move('PAUSED', 'disabled in the configuration', t);
  }

  resume(t: number): Transition | undefined {
    if (this.s.state !== 'PAUSED') return undefined;
    this.s.failures = 0;
    return this.move('PENDING', 'enabled again; waiting for the first result', t);
  }

  private move(to: MonitorState, reason: string, t: number): Transition | undefined {
    const from = this.s.state;
    if (from === to) {
      // The reason of a steady state follows the latest result (shown by the status API).
      this.s.reason = reason;
      return undefined;
    }
    this.s = { state: to, since: t, reason, failures: this.s.failures };
    return { monitor: this.name, t, from, to, reason };
  }
}
