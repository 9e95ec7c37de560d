/**
 * GET /loki/api/v1/tail (websocket): live entries for a LogQL log query, as Loki's tail frames
 * `{"streams":[{stream, values}], "dropped_entries": null}`: the newest `limit` entries since
 * `start`, then every entry durably appended afterwards that the query matches (followed through
 * the AppendFeed, not by polling timestamps, so bursts sharing a timestamp and late entries all
 * arrive). `delay_for` (≤ 5 s, as in Loki) delays each frame.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import { formatLabels } from '../../core/labels.js';
import type { LogBatch } from '../../core/events.js';
import { MICROS_PER_SECOND, microsToNanosString, nowMicros, type Micros } from '../../core/time.js';
import type { AppendFeed } from '../../store/interfaces.js';
import type { LogQueryEngine } from '../app.js';
import type { ServerMetrics } from '../metrics.js';
import { tenantOf } from '../tenant.js';
import { formOf } from './form.js';
import { parseBounds, parseLimit, parseQueryText } from './params.js';
import { runEngineQuery } from './query.js';
import { nanosToMicros } from './push-decode.js';
import type { LokiStream, LokiTailFrame } from './types.js';

const MAX_DELAY_FOR_SECONDS = 5;
/** Pings keep proxies from closing a quiet tail and reveal clients that vanished. */
const PING_MS = 30_000;

export interface TailPluginOptions {
  engine: LogQueryEngine;
  /** Durably appended batches, as they happen. */
  feed: AppendFeed;
  metrics: ServerMetrics;
  limits: { maxQueryLimit: number; queryTimeoutMs: number };
  multiTenant: boolean;
  /** Open tails allowed at once; more are refused with 429 before the upgrade. */
  maxConcurrent: number;
}

interface TailParams {
  tenant: string;
  query: string;
  limit: number;
  start: Micros;
  delayFor: Micros;
}

/** One entry ready to send. */
interface TailEntry {
  labels: Record<string, string>;
  key: string;
  ts: Micros;
  ns: string;
  line: string;
}

function parseTailParams(request: FastifyRequest, opts: TailPluginOptions): TailParams {
  const form = formOf(request);
  const query = parseQueryText(form);
  const limit = parseLimit(form, opts.limits.maxQueryLimit);
  const { start } = parseBounds(form);
  const raw = form.get('delay_for');
  let delay = 0;
  if (raw !== '') {
    if (!/^\d+$/.test(raw)) throw new VigilError('BAD_REQUEST', `invalid delay_for parameter ${JSON.stringify(raw)}: expected whole seconds`);
    delay = Number(raw);
    if (delay > MAX_DELAY_FOR_SECONDS) throw new VigilError('BAD_REQUEST', `invalid delay_for parameter: delay_for can't be greater than ${MAX_DELAY_FOR_SECONDS}`);
  }
  return { tenant: tenantOf(request, opts.multiTenant), query, limit, start, delayFor: delay * MICROS_PER_SECOND };
}

/** Flattens a streams result into entries sorted by time (then stream, then line, for a stable order). */
function entriesOf(result: unknown[]): TailEntry[] {
  const out: TailEntry[] = [];
  for (const s of result as LokiStream[]) {
    const key = formatLabels(s.stream);
    for (const v of s.values) {
      const ts = nanosToMicros(v[0]);
      if (ts === undefined) continue;
      out.push({ labels: s.stream, key, ts, ns: v[0], line: v[1] });
    }
  }
  out.sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  return out;
}

function frameOf(entries: TailEntry[]): LokiTailFrame {
  const byKey = new Map<string, LokiStream>();
  for (const e of entries) {
    let s = byKey.get(e.key);
    if (!s) {
      s = { stream: e.labels, values: [] };
      byKey.set(e.key, s);
    }
    s.values.push([e.ns, e.line]);
  }
  return { streams: [...byKey.values()], dropped_entries: null };
}

/** A close reason must fit in 123 bytes. */
function closeReason(text: string): string {
  let t = text;
  while (Buffer.byteLength(t) > 123) t = t.slice(0, -1);
  return t;
}

/** Entries a live filter let through (see LogQueryEngine.compileLiveFilter). */
type LiveFilter = (batch: LogBatch) => Array<{ labels: Record<string, string>; key: string; ts: Micros; line: string }>;

/** A slow client is not allowed to make the server buffer without bound: past this, entries are dropped and counted. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Live entries are coalesced into one frame per this many ms. */
const FLUSH_MS = 100;

/**
 * Follows one query on one socket until either side closes: first the newest `limit` entries
 * from `start` (a history query), then every entry appended afterwards that the query matches,
 * whatever its timestamp, as Loki's ingester tailer does.
 */
class Tailer {
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private alive = true;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  /** Live entries waiting for the history page (then for the next flush). */
  private pending: TailEntry[] = [];
  private historyDone = false;
  private dropped = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly p: TailParams,
    private readonly filter: LiveFilter,
    private readonly opts: TailPluginOptions,
  ) {}

  start(): void {
    this.socket.on('close', () => this.stop());
    this.socket.on('pong', () => {
      this.alive = true;
    });
    this.pinger = setInterval(() => {
      if (!this.alive) {
        this.socket.terminate();
        return;
      }
      this.alive = false;
      this.socket.ping();
    }, PING_MS);
    // Subscribe before the history query, so nothing appended in between is missed.
    this.unsubscribe = this.opts.feed.subscribe(this.p.tenant, (batch) => this.onAppend(batch));
    void this.history();
  }

  stop(): void {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.pinger) clearInterval(this.pinger);
  }

  private fail(e: unknown): void {
    if (this.closed) return;
    const code = isVigilError(e) && e.status < 500 ? 1008 : 1011;
    this.stop();
    this.socket.close(code, closeReason(isVigilError(e) ? e.message : `tail failed: ${errorMessage(e)}`));
  }

  private onAppend(batch: LogBatch): void {
    if (this.closed) return;
    let live;
    try {
      live = this.filter(batch);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (live.length === 0) return;
    for (const e of live) this.pending.push({ labels: e.labels, key: e.key, ts: e.ts, ns: microsToNanosString(e.ts), line: e.line });
    if (this.historyDone && !this.timer) this.timer = setTimeout(() => this.flush(), Math.max(FLUSH_MS, this.p.delayFor / 1000));
  }

  private async history(): Promise<void> {
    const end = nowMicros();
    let sent: Set<string> | undefined;
    if (end > this.p.start) {
      try {
        const data = await runEngineQuery(
          this.opts.engine,
          { tenant: this.p.tenant, query: this.p.query, start: this.p.start, end, limit: this.p.limit, direction: 'backward', kind: 'range', step: MICROS_PER_SECOND },
          { timeoutMs: this.opts.limits.queryTimeoutMs },
        );
        if (data.resultType !== 'streams') throw new VigilError('BAD_QUERY', 'tail supports log queries only, not metric queries');
        const page = entriesOf(data.result);
        sent = new Set(page.map((e) => `${e.key}\n${e.ts}\n${e.line}`));
        this.send(page);
      } catch (e) {
        this.fail(e);
        return;
      }
    }
    // Live entries that the history page already showed (appended while it ran) are not sent twice.
    if (sent) this.pending = this.pending.filter((e) => !sent.has(`${e.key}\n${e.ts}\n${e.line}`));
    this.historyDone = true;
    this.flush();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    batch.sort((a, b) => a.ts - b.ts);
    this.send(batch);
  }

  private send(entries: TailEntry[]): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN || entries.length === 0) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.dropped += entries.length;
      this.opts.metrics.tailDropped.inc(entries.length);
      return;
    }
    const frame = frameOf(entries);
    if (this.dropped > 0) {
      frame.dropped_entries = [{ labels: {}, timestamp: '0', count: this.dropped }] as unknown as LokiTailFrame['dropped_entries'];
      this.dropped = 0;
    }
    this.socket.send(JSON.stringify(frame));
  }
}

/** Registers the tail websocket route (requires @fastify/websocket on the root instance). */
export async function tailPlugin(app: FastifyInstance, opts: TailPluginOptions): Promise<void> {
  const params = new WeakMap<FastifyRequest, TailParams>();
  const filters = new WeakMap<FastifyRequest, LiveFilter>();
  let active = 0;
  app.get(
    '/loki/api/v1/tail',
    {
      websocket: true,
      // Runs before the upgrade, so bad parameters get a plain HTTP 400 as from Loki.
      preValidation: async (request) => {
        if (active >= opts.maxConcurrent) {
          throw new VigilError('RATE_LIMITED', `too many concurrent tails: ${active} open, the limit is ${opts.maxConcurrent}`);
        }
        const p = parseTailParams(request, opts);
        params.set(request, p);
        // Compiled before the upgrade, so a bad or metric query gets a plain HTTP 400.
        filters.set(request, opts.engine.compileLiveFilter(p.query));
      },
    },
    (socket, request) => {
      const p = params.get(request);
      if (!p) {
        socket.close(1011, 'tail parameters missing');
        return;
      }
      active++;
      opts.metrics.tailsActive.inc();
      socket.once('close', () => {
        active--;
        opts.metrics.tailsActive.dec();
      });
      const filter = filters.get(request);
      if (!filter) {
        socket.close(1011, 'tail filter missing');
        return;
      }
      new Tailer(socket, p, filter, opts).start();
    },
  );
}
