/**
 * The Prometheus remote write sender: what probes, scrapes and host metrics append to in
 * `vigil agent` (and, beside the store, in `vigil run`) to ship samples to a Prometheus,
 * VictoriaMetrics or Vigil server.
 *
 * `append` relabels, encodes and fsyncs the samples into the sender's own disk buffer, then
 * resolves; a reader hands buffered records to shards (parallel request queues, a series always in
 * the same one) which send, retry and finally acknowledge them. A record leaves the buffer only
 * when all its samples were delivered or refused by the remote end, so a crash or a dead receiver
 * loses nothing appended; after a crash, samples of records in flight may be sent twice.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Agent } from 'undici';
import { DiskQueue, MAX_RECORD_BYTES, type QueuedRecord } from '../../buffer/disk-queue.js';
import { isValidLabelName, type Labels } from '../../core/labels.js';
import type { Service } from '../../core/service.js';
import { tlsDispatcher } from '../../http/client.js';
import { relabel } from '../../scrape/relabel.js';
import type { MetricsAppendResult, MetricsAppendSeries } from '../../store/metrics/index.js';
import type { SampleAppender } from '../appender.js';
import { decodeRecord, encodeLabels, encodeRecord, recordSize, type RecordInput } from './codec.js';
import type { ResolvedRemoteWriteConfig } from './config.js';
import { senderMetrics, type SenderMetrics } from './metrics.js';
import { Shard, type RecordTracker, type ShardContext } from './shard.js';

export interface RemoteWriteSenderOptions {
  config: ResolvedRemoteWriteConfig;
  /** Vigil's data directory; the buffer lives in `<dataDir>/remote-write/<name>`. */
  dataDir: string;
  logger: Logger;
  /** Where `vigil_remote_write_*` register (a private registry when absent). */
  registry?: Registry;
  /** How long `stop` lets requests in flight finish before abandoning them (they stay buffered). Default 5s. */
  stopGraceMs?: number;
  /** How often the number of shards is re-evaluated. Default 10s. */
  reshardIntervalMs?: number;
}

/** Records are cut at about this size, far below the buffer's record limit. */
const RECORD_TARGET_BYTES = 1024 * 1024;
/** Smoothing of the rates that drive resharding (Prometheus uses 0.2 at a 10 s tick). */
const EWMA = 0.2;

function labelProblem(labels: Labels): string | undefined {
  if (!labels.__name__) return `missing metric name (__name__) in labels ${JSON.stringify(labels)}`;
  for (const [n, v] of Object.entries(labels)) {
    if (!isValidLabelName(n)) return `invalid label name ${JSON.stringify(n)}`;
    if (typeof v !== 'string') return `label ${n}: value is not a string`;
  }
  return undefined;
}

export class RemoteWriteSender implements Service, SampleAppender {
  readonly name: string;
  private readonly cfg: ResolvedRemoteWriteConfig;
  private readonly m: SenderMetrics;
  private readonly labels: { remote_name: string; url: string };
  private readonly log: Logger;
  private queue: DiskQueue | undefined;
  private dispatcher: Agent | undefined;
  private shards: Shard[] = [];
  private reader: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly stopCtl = new AbortController();
  private readonly requestCtl = new AbortController();
  private progressWaiters = new Set<() => void>();
  private reshardTo: number | undefined;
  private reshardTimer: NodeJS.Timeout | undefined;
  private rates = { inSamples: 0, outSamples: 0, outSeconds: 0, inRate: 0, outRate: 0, outDurationRate: 0, bytesPerSample: 64, lastTick: 0 };
  private lastRecoverableError = 0;
  private highestTs = -Infinity;
  private highestSentTs = -Infinity;

  constructor(private readonly opts: RemoteWriteSenderOptions) {
    this.cfg = opts.config;
    this.name = opts.config.name;
    this.labels = { remote_name: this.cfg.name, url: this.cfg.url };
    this.log = opts.logger.child({ component: 'remote_write', remote_name: this.cfg.name, url: this.cfg.url });
    this.m = senderMetrics(opts.registry ?? new Registry());
  }

  /** The buffer directory of this destination. */
  get bufferDir(): string {
    return join(this.opts.dataDir, 'remote-write', this.cfg.name);
  }

  /** Opens the disk buffer (resuming what it holds) and starts sending. Throws when the buffer or TLS files cannot be opened. */
  async start(): Promise<void> {
    if (this.queue) return;
    if (this.cfg.tls) {
      this.dispatcher = tlsDispatcher(this.cfg.tls);
      if (this.cfg.tls.insecureSkipVerify) this.log.warn('remote write: tls_config.insecure_skip_verify is set; the server certificate is NOT checked');
    }
    try {
      this.queue = DiskQueue.open({
        dir: this.bufferDir,
        maxBytes: this.cfg.buffer.maxBytes,
        onCorrupt: (c) => this.log.error({ file: c.file, offset: c.offset, skipped_bytes: c.skipped, reason: c.reason }, 'remote write: corrupt record in the disk buffer; skipped, the rest of the buffer is kept'),
      });
    } catch (e) {
      await this.dispatcher?.close();
      this.dispatcher = undefined;
      throw new Error(`remote write ${this.cfg.name}: cannot open the disk buffer ${this.bufferDir}: ${(e as Error).message}`);
    }
    const queued = this.queue.usedBytes();
    if (queued > 0) this.log.info({ bytes: queued }, 'remote write: resuming delivery of the disk buffer');
    this.m.pendingBytes.set(this.labels, queued);
    this.shards = this.makeShards(this.cfg.queue.minShards);
    this.rates.lastTick = Date.now();
    this.reshardTimer = setInterval(() => this.reshardTick(), this.opts.reshardIntervalMs ?? 10_000);
    this.reshardTimer.unref();
    this.reader = this.readLoop();
  }

  /**
   * Buffers samples durably: resolves once they are fsynced in the disk buffer. Series dropped by
   * write_relabel_configs count as accepted (the configuration asked for it); invalid series and,
   * with `when_full: drop_newest`, samples that do not fit are refused in the result. With
   * `when_full: block` (default) it waits for space. Rejects when the sender is not running or
   * the buffer cannot be written.
   */
  async append(tenant: string, series: ReadonlyArray<MetricsAppendSeries>): Promise<MetricsAppendResult> {
    const q = this.queue;
    if (!q || this.stopping) throw new Error(`remote write ${this.cfg.name}: sender is not running`);
    if (Buffer.byteLength(tenant) > 0xffff) throw new Error(`remote write ${this.cfg.name}: tenant id longer than 65535 bytes`);
    const rejected: MetricsAppendResult['rejected'] = [];
    const inputs: Array<RecordInput & { index: number }> = [];
    let samples = 0;
    let relabelDropped = 0;
    let invalid = 0;
    let highest = -Infinity;
    const rules = this.cfg.writeRelabel;
    series.forEach((s, index) => {
      const n = s.t.length;
      if (n !== s.v.length) {
        invalid += n;
        rejected.push({ series: index, count: n, reason: `timestamps and values differ in length (${n} vs ${s.v.length})` });
        return;
      }
      if (n === 0) return;
      let labels: Labels = s.labels;
      if (rules.length > 0) {
        const r = relabel(labels, rules);
        if (!r) {
          relabelDropped += n;
          return;
        }
        labels = r;
      }
      const problem = labelProblem(labels);
      if (problem) {
        invalid += n;
        rejected.push({ series: index, count: n, reason: problem });
        return;
      }
      for (let i = 0; i < n; i++) {
        const t = s.t[i] as number;
        if (!Number.isSafeInteger(t)) {
          invalid += n;
          rejected.push({ series: index, count: n, reason: `invalid timestamp: ${t} (integer milliseconds expected)` });
          return;
        }
        if (t > highest) highest = t;
      }
      const v = s.v instanceof Float64Array ? s.v : Float64Array.from(s.v);
      inputs.push({ labels: encodeLabels(labels), t: s.t, v, index });
      samples += n;
    });
    if (relabelDropped > 0) this.m.dropped.inc({ ...this.labels, reason: 'relabel' }, relabelDropped);
    if (invalid > 0) this.m.dropped.inc({ ...this.labels, reason: 'invalid' }, invalid);
    if (inputs.length === 0) return { accepted: relabelDropped, rejected };
    const payloads = this.toRecords(tenant, inputs);
    const bytes = payloads.reduce((a, p) => a + p.length, 0);
    while (q.wouldOverflow(bytes)) {
      if (this.cfg.buffer.whenFull === 'drop_newest') {
        this.m.dropped.inc({ ...this.labels, reason: 'buffer_full' }, samples);
        this.log.warn({ samples, max_size: this.cfg.buffer.maxBytes }, 'remote write: buffer full; samples dropped (when_full: drop_newest)');
        for (const i of inputs) rejected.push({ series: i.index, count: i.t.length, reason: `remote write buffer full (${this.cfg.name}, when_full: drop_newest)` });
        rejected.sort((a, b) => a.series - b.series);
        return { accepted: relabelDropped, rejected };
      }
      await q.waitForSpace(this.stopCtl.signal);
      if (this.stopping) throw new Error(`remote write ${this.cfg.name}: sender is stopping`);
    }
    await q.append(payloads);
    this.rates.inSamples += samples;
    this.rates.bytesPerSample = this.rates.bytesPerSample * (1 - EWMA) + (bytes / samples) * EWMA;
    if (highest > this.highestTs) {
      this.highestTs = highest;
      this.m.highestTimestamp.set(this.labels, highest / 1000);
    }
    this.m.pendingBytes.set(this.labels, q.usedBytes());
    return { accepted: samples + relabelDropped, rejected };
  }

  private toRecords(tenant: string, inputs: RecordInput[]): Buffer[] {
    const out: Buffer[] = [];
    let group: RecordInput[] = [];
    let size = 0;
    for (const s of inputs) {
      const one = recordSize(tenant, [s]);
      if (one > MAX_RECORD_BYTES / 2) throw new Error(`remote write ${this.cfg.name}: one series of ${s.t.length} samples is too large for a buffer record`);
      if (group.length > 0 && size + one > RECORD_TARGET_BYTES) {
        out.push(encodeRecord(tenant, group));
        group = [];
        size = 0;
      }
      group.push(s);
      size += one;
    }
    if (group.length > 0) out.push(encodeRecord(tenant, group));
    return out;
  }

  private makeShards(n: number): Shard[] {
    const ctx: ShardContext = {
      cfg: this.cfg,
      metrics: this.m,
      labels: this.labels,
      logger: this.log,
      dispatcher: this.dispatcher,
      signal: this.requestCtl.signal,
      stopSignal: this.stopCtl.signal,
      stopping: () => this.stopping,
      highestSent: () => this.highestSentTs,
      noteSent: (t) => (this.highestSentTs = Math.max(this.highestSentTs, t)),
      onRecoverableError: () => {
        this.lastRecoverableError = Date.now();
      },
      onSent: (samples, seconds) => {
        this.rates.outSamples += samples;
        this.rates.outSeconds += seconds;
        this.wakeProgress();
      },
    };
    this.m.shards.set(this.labels, n);
    return Array.from({ length: n }, () => new Shard(ctx));
  }

  private wakeProgress(): void {
    const ws = this.progressWaiters;
    this.progressWaiters = new Set();
    for (const w of ws) w();
  }

  private waitProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this.progressWaiters;
      function done() {
        clearTimeout(t);
        self.delete(done);
        resolve();
      }
      this.progressWaiters.add(done);
    });
  }

  private async readLoop(): Promise<void> {
    const q = this.queue as DiskQueue;
    while (!this.stopping) {
      if (this.reshardTo !== undefined) {
        await this.applyReshard(this.reshardTo);
        continue;
      }
      // Shards hold at most `capacity` samples each; the byte budget (at least one record) keeps
      // a big backlog on disk rather than in memory.
      const room = this.cfg.queue.capacity * this.shards.length - this.shards.reduce((a, s) => a + s.queued, 0);
      if (room <= 0) {
        await this.waitProgress(1000);
        continue;
      }
      let recs: QueuedRecord[];
      try {
        recs = await q.next(256, Math.min(8 * 1024 * 1024, Math.max(1, Math.floor(room * this.rates.bytesPerSample))));
      } catch (e) {
        if (this.stopping) return;
        this.log.error({ error: (e as Error).message }, 'remote write: cannot read the disk buffer; retrying in 1s');
        await this.waitProgress(1000);
        continue;
      }
      if (recs.length === 0) {
        // The timeout only guards against a missed wake-up; appends wake the reader.
        await Promise.race([q.waitForData(this.stopCtl.signal), this.waitProgress(1000)]);
        continue;
      }
      for (const r of recs) this.dispatch(r);
    }
  }

  private ack(seq: number): void {
    const q = this.queue; // undefined once stop closed the buffer: the record is sent again next start
    if (!q) return;
    q.ack(seq);
    this.m.pendingBytes.set(this.labels, q.usedBytes());
  }

  private dispatch(rec: QueuedRecord): void {
    let dec;
    try {
      dec = decodeRecord(rec.payload);
    } catch (e) {
      this.log.error({ seq: rec.seq, error: (e as Error).message }, 'remote write: undecodable record in the disk buffer; skipped');
      this.ack(rec.seq);
      return;
    }
    if (dec.samples === 0) {
      this.ack(rec.seq);
      return;
    }
    const tracker: RecordTracker = {
      pending: dec.samples,
      done: (n) => {
        tracker.pending -= n;
        if (tracker.pending === 0) this.ack(rec.seq);
      },
    };
    for (const s of dec.series) {
      if (s.n === 0) continue;
      (this.shards[s.hash % this.shards.length] as Shard).push({ tenant: dec.tenant, s, from: 0, to: s.n, tracker });
    }
  }

  /**
   * Prometheus's calculateDesiredShards, simplified: the shard-seconds per sample times the rate
   * to keep up with plus 5%/s of the backlog; ±30% around the current count is left alone, and
   * nothing changes while the remote end is failing (more shards would not help).
   */
  private reshardTick(): void {
    const r = this.rates;
    const now = Date.now();
    const secs = Math.max((now - r.lastTick) / 1000, 0.001);
    r.lastTick = now;
    r.inRate = r.inRate * (1 - EWMA) + (r.inSamples / secs) * EWMA;
    r.outRate = r.outRate * (1 - EWMA) + (r.outSamples / secs) * EWMA;
    r.outDurationRate = r.outDurationRate * (1 - EWMA) + (r.outSeconds / secs) * EWMA;
    r.inSamples = 0;
    r.outSamples = 0;
    r.outSeconds = 0;
    if (this.stopping || this.reshardTo !== undefined || r.outRate <= 0) return;
    if (now - this.lastRecoverableError < 2 * (this.opts.reshardIntervalMs ?? 10_000)) return;
    const timePerSample = r.outDurationRate / r.outRate;
    const backlog = (this.queue?.usedBytes() ?? 0) / Math.max(r.bytesPerSample, 1);
    const desired = timePerSample * (r.inRate + 0.05 * backlog);
    const current = this.shards.length;
    if (desired > current * 0.7 && desired < current * 1.3) return;
    const next = Math.min(this.cfg.queue.maxShards, Math.max(this.cfg.queue.minShards, Math.ceil(desired)));
    if (next === current) return;
    this.log.info({ from: current, to: next }, 'remote write: resharding');
    this.reshardTo = next;
  }

  /**
   * Replaces the shards: what they hold but have not sent moves to the new ones (a series' slices
   * all come from one old shard, in order, and go to one new shard, in order), and the new shards
   * start only after every request in flight finished, so no series is ever reordered.
   */
  private async applyReshard(n: number): Promise<void> {
    const old = this.shards;
    const moved = old.map((s) => s.takeQueued());
    await Promise.all(old.map((s) => s.settled()));
    this.shards = this.makeShards(n);
    for (const list of moved) for (const it of list) (this.shards[it.s.hash % n] as Shard).push(it);
    this.reshardTo = undefined;
  }

  /** Current state, for `vigil` status pages and tests. */
  stats(): { pendingBytes: number; shards: number; inFlightRecords: number } {
    return { pendingBytes: this.queue?.usedBytes() ?? 0, shards: this.shards.length, inFlightRecords: this.queue?.inFlight() ?? 0 };
  }

  /**
   * Stops reading the buffer, lets requests in flight finish for the grace period, abandons the
   * rest (it stays buffered for the next start) and closes the buffer. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      if (this.reshardTimer) clearInterval(this.reshardTimer);
      this.stopCtl.abort();
      this.wakeProgress();
      for (const s of this.shards) s.wake();
      const grace = setTimeout(() => this.requestCtl.abort(), this.opts.stopGraceMs ?? 5000);
      await this.reader;
      await Promise.all(this.shards.map((s) => s.loop));
      clearTimeout(grace);
      this.requestCtl.abort();
      const q = this.queue;
      this.queue = undefined;
      await q?.close();
      await this.dispatcher?.close();
      this.dispatcher = undefined;
    })();
    return this.stopped;
  }
}
