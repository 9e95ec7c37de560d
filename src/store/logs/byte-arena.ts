/**
 * A reusable output buffer for one chunk flush: encoded chunks and their bloom filters are carved
 * out of it instead of each being its own Buffer. Those live from encoding to the catalog commit
 * (tens of ms, across awaits), long enough for V8 to promote their wrappers to old space, where
 * their memory is only freed by a full GC: at ingest rates that held tens of MB of dead chunks.
 */
const MAX_KEPT = 8 << 20;

export class ByteArena {
  private buf: Buffer;
  private used = 0;

  constructor(private readonly initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(0);
  }

  /**
   * `size` bytes (unspecified content) valid until `reset`. Growing switches to a bigger buffer;
   * views handed out before stay valid (they keep the old one alive until reset).
   */
  take(size: number): Buffer {
    if (this.used + size > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(this.initialBytes, 2 * this.buf.length, size));
      this.used = 0;
    }
    const view = this.buf.subarray(this.used, this.used + size);
    this.used += size;
    return view;
  }

  /** Everything taken so far is no longer read: the space is reused. */
  reset(): void {
    this.used = 0;
    // A flush of many streams at once (shutdown) may have grown it: do not keep that for good.
    if (this.buf.length > MAX_KEPT) this.buf = Buffer.allocUnsafeSlow(0);
  }
}

