/**
 * Wall-clock time in an IANA zone → UTC, for timestamps written without an offset. Uses Intl
 * (no tz database dependency) and caches the zone offset per hour, since formatting through Intl
 * on every line would dominate the parser's cost.
 */

const HOUR_CACHE_LIMIT = 50_000;

/** Converts wall-clock times of one zone to UTC. Built once per parser config; throws for an unknown zone. */
export class Zone {
  private readonly fmt: Intl.DateTimeFormat | undefined;
  private readonly cache = new Map<number, number>();

  /** `name`: an IANA zone (`Europe/Paris`), `UTC` or `Local` (the host's zone). */
  constructor(name: string) {
    if (name === 'UTC' || name === 'Etc/UTC') {
      this.fmt = undefined;
      return;
    }
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name === 'Local' ? undefined : name,
      hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  }

  /** Offset (ms, east positive) of the zone at UTC instant `utcMs`. */
  private offsetAt(utcMs: number): number {
    const fmt = this.fmt;
    if (!fmt) return 0;
    const hour = Math.floor(utcMs / 3_600_000);
    const hit = this.cache.get(hour);
    if (hit !== undefined) return hit;
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(hour * 3_600_000)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const asUtc = Date.UTC(p['year'] as number, (p['month'] as number) - 1, p['day'], p['hour'], p['minute'], p['second']);
    const off = asUtc - hour * 3_600_000;
    if (this.cache.size > HOUR_CACHE_LIMIT) this.cache.clear();
    this.cache.set(hour, off);
    return off;
  }

  /** UTC ms of the wall-clock time `wallMs` (a Date.UTC of the written fields) in this zone. */
  toUtc(wallMs: number): number {
    if (!this.fmt) return wallMs;
    const first = wallMs - this.offsetAt(wallMs);
    return wallMs - this.offsetAt(first);
  }
}
