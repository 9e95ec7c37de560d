/**
 * All `remote_write:` destinations of one process as one Service: started and stopped together,
 * reloaded by name (an unchanged destination keeps running; a changed one restarts on the same
 * disk buffer, so nothing buffered is lost; a removed one stops and keeps its buffer on disk).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Service } from '../../core/service.js';
import type { MetricsAppendResult, MetricsAppendSeries } from '../../store/metrics/index.js';
import type { SampleAppender } from '../appender.js';
import type { ResolvedRemoteWriteConfig } from './config.js';
import { FanoutAppender } from './fanout.js';
import { RemoteWriteSender } from './sender.js';

export interface RemoteWriteGroupOptions {
  configs: ResolvedRemoteWriteConfig[];
  /** Vigil's data directory (buffers in `<dataDir>/remote-write/<name>`). */
  dataDir: string;
  logger: Logger;
  registry?: Registry;
}

/** A stable text of a config, to tell whether a reload changed it (compiled regexes by source). */
function fingerprint(c: ResolvedRemoteWriteConfig): string {
  return JSON.stringify(c, (_k, v: unknown) => (v instanceof RegExp ? v.source : v));
}

export class RemoteWriteGroup implements Service<ResolvedRemoteWriteConfig[]>, SampleAppender {
  private senders: RemoteWriteSender[] = [];
  private configs: ResolvedRemoteWriteConfig[];

  constructor(private readonly opts: RemoteWriteGroupOptions) {
    this.configs = opts.configs;
  }

  /** The running senders. */
  get current(): ReadonlyArray<RemoteWriteSender> {
    return this.senders;
  }

  /** True when at least one destination is configured. */
  get enabled(): boolean {
    return this.configs.length > 0;
  }

  private make(c: ResolvedRemoteWriteConfig): RemoteWriteSender {
    return new RemoteWriteSender({ config: c, dataDir: this.opts.dataDir, logger: this.opts.logger, ...(this.opts.registry ? { registry: this.opts.registry } : {}) });
  }

  /** Starts every sender; if one cannot start, the ones started are stopped and the error thrown. */
  async start(): Promise<void> {
    const started: RemoteWriteSender[] = [];
    try {
      for (const c of this.configs) {
        const s = this.make(c);
        await s.start();
        started.push(s);
      }
    } catch (e) {
      await Promise.all(started.map((s) => s.stop()));
      throw e;
    }
    this.senders = started;
  }

  /** Applies new configs by name; a sender that fails to start is reported and the others keep running. */
  async reload(configs: ResolvedRemoteWriteConfig[]): Promise<void> {
    const byName = new Map(this.senders.map((s, i) => [s.name, { s, fp: fingerprint(this.configs[i] as ResolvedRemoteWriteConfig) }]));
    const next: RemoteWriteSender[] = [];
    const errors: string[] = [];
    for (const c of configs) {
      const old = byName.get(c.name);
      if (old && old.fp === fingerprint(c)) {
        next.push(old.s);
        byName.delete(c.name);
        continue;
      }
      if (old) {
        await old.s.stop();
        byName.delete(c.name);
      }
      const s = this.make(c);
      try {
        await s.start();
        next.push(s);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    await Promise.all([...byName.values()].map((o) => o.s.stop()));
    this.senders = next;
    this.configs = configs.filter((c) => next.some((s) => s.name === c.name));
    if (errors.length > 0) throw new Error(`remote write: ${errors.join('; ')}`);
  }

  /**
   * `vigil agent`: appends to every destination; the first one's result is the answer. Rejects
   * when no destination is configured or the first one rejects.
   */
  append(tenant: string, series: ReadonlyArray<MetricsAppendSeries>): Promise<MetricsAppendResult> {
    const [first, ...rest] = this.senders;
    if (!first) return Promise.reject(new Error('no remote_write destination is configured'));
    return new FanoutAppender(first, rest, this.opts.logger).append(tenant, series);
  }

  /** `vigil run`: the store answers, every destination also gets the samples (the current ones after a reload). */
  withStore(store: SampleAppender): SampleAppender {
    return new FanoutAppender(store, () => this.senders, this.opts.logger);
  }

  async stop(): Promise<void> {
    const all = this.senders;
    this.senders = [];
    await Promise.all(all.map((s) => s.stop()));
  }
}
