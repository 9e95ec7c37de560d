/**
 * Which Vigil server an agent talks to: the first healthy one of its list. A connection error,
 * timeout or 5xx moves to the next; a periodic `/ready` check of the servers before the active
 * one moves back (failback) as soon as a preferred one answers again.
 */
import type { Logger } from 'pino';
import { httpRequest, type HttpRequest } from '../../http/client.js';

export class ServerPool {
  private activeIndex = 0;
  constructor(
    readonly servers: ReadonlyArray<string>,
    private readonly logger: Logger,
    private readonly sinkId: string,
  ) {
    if (servers.length === 0) throw new Error('servers: at least one URL');
  }

  get active(): number {
    return this.activeIndex;
  }

  get activeUrl(): string {
    return this.servers[this.activeIndex] as string;
  }

  /** The servers to try for one request, starting with the active one, each once. */
  order(): number[] {
    const n = this.servers.length;
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push((this.activeIndex + k) % n);
    return out;
  }

  /** Server `i` failed; move on to the next unless another request already did. */
  failed(i: number, error: string): void {
    if (i !== this.activeIndex || this.servers.length === 1) return;
    const next = (i + 1) % this.servers.length;
    this.logger.warn({ sink: this.sinkId, from: this.servers[i], to: this.servers[next], error }, 'Vigil server failed; failing over to the next one');
    this.activeIndex = next;
  }

  /** A request to server `i` succeeded: stick with it. */
  succeeded(i: number): void {
    if (i !== this.activeIndex) {
      this.logger.info({ sink: this.sinkId, server: this.servers[i] }, 'now sending to this Vigil server');
      this.activeIndex = i;
    }
  }

  /**
   * Probes each server preferred over the active one (`GET /ready`) and switches to the first that
   * answers 200. Never throws; returns whether it switched.
   */
  async failback(base: Pick<HttpRequest, 'token' | 'timeoutMs' | 'dispatcher'>): Promise<boolean> {
    for (let i = 0; i < this.activeIndex; i++) {
      const url = `${this.servers[i] as string}/ready`;
      try {
        const res = await httpRequest({ ...base, url, method: 'GET' });
        if (res.status === 200) {
          this.logger.info({ sink: this.sinkId, from: this.activeUrl, to: this.servers[i] }, 'preferred Vigil server is ready again; failing back');
          this.activeIndex = i;
          return true;
        }
      } catch {
        // Still down; try the next preferred one.
      }
    }
    return false;
  }
}
