/**
 * Adaptive request concurrency (AIMD on latency), in the spirit of Vector's ARC and TCP Vegas:
 * while responses come back no slower than the running mean and every slot is busy, allow one
 * more request in flight; when latency rises clearly above the mean, or the destination pushes
 * back (429, 503, timeouts, connection errors), cut the limit by `decreaseRatio`.
 */
export interface AdaptiveOptions {
  initial?: number;
  max: number;
  /** Multiplicative decrease on back pressure (default 0.9). */
  decreaseRatio?: number;
  /** EWMA weight of a new RTT in the mean (default 0.4). */
  ewmaAlpha?: number;
  /** How many deviations above the mean count as "latency rose" (default 2). */
  rttDeviations?: number;
}

export class AdaptiveConcurrency {
  private limitValue: number;
  private mean = 0;
  private deviation = 0;
  private samples = 0;
  private readonly o: Required<AdaptiveOptions>;

  constructor(o: AdaptiveOptions) {
    this.o = { initial: 1, decreaseRatio: 0.9, ewmaAlpha: 0.4, rttDeviations: 2, ...o };
    this.limitValue = Math.max(1, Math.min(this.o.max, this.o.initial));
  }

  get limit(): number {
    return Math.max(1, Math.floor(this.limitValue));
  }

  /** One request finished: `ok` false on back pressure or failure; `inFlight` when it was sent. */
  observe(ok: boolean, rttMs: number, inFlight: number): void {
    if (!ok) {
      this.limitValue = Math.max(1, this.limitValue * this.o.decreaseRatio);
      return;
    }
    const first = this.samples === 0;
    this.samples++;
    if (first) {
      this.mean = rttMs;
      this.deviation = rttMs / 2;
    }
    const threshold = this.mean + this.o.rttDeviations * Math.max(this.deviation, this.mean * 0.05, 0.5);
    if (!first && rttMs > threshold) {
      this.limitValue = Math.max(1, this.limitValue * this.o.decreaseRatio);
    } else if (inFlight >= this.limit) {
      this.limitValue = Math.min(this.o.max, this.limitValue + 1);
    }
    const a = this.o.ewmaAlpha;
    this.deviation = (1 - a) * this.deviation + a * Math.abs(rttMs - this.mean);
    this.mean = (1 - a) * this.mean + a * rttMs;
  }
}
