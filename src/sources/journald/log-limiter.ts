/**
 * Caps how many log lines one noisy cause (journalctl's stderr, a run of malformed entries) may
 * write: at most `max` per `windowMs`; the rest are counted and reported with the next allowed line.
 */
export class LogLimiter {
  private windowStart = 0;
  private used = 0;
  private suppressed = 0;

  constructor(private readonly max: number, private readonly windowMs: number, private readonly clock: () => number = Date.now) {}

  /** True when the caller may log now; otherwise the line is counted as suppressed. */
  allow(): boolean {
    const t = this.clock();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.used = 0;
    }
    if (this.used < this.max) {
      this.used++;
      return true;
    }
    this.suppressed++;
    return false;
  }

  /** Lines suppressed since the last call (to log beside the next allowed line). */
  takeSuppressed(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
