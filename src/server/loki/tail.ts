/**
 * GET /loki/api/v1/tail (websocket): live entries for a LogQL log query, as Loki's tail frames
 * `{"streams":[{stream, values}], "dropped_entries": null}`. Implemented by polling the engine
 * for entries at or after the newest already sent, de-duplicating same-timestamp entries, so
 * every LogQL pipeline the engine supports also works for tail.
 *
 * Limitation: an entry whose timestamp is older than the newest entry already sent is not
 * tailed (no ingester stream to follow); `delay_for` (≤ 5 s, as in Loki) gives late pushes time.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import { formatLabels } from '../../core/labels.js';
import { MICROS_PER_SECOND, nowMicros, type Micros } from '../../core/time.js';
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
  metrics: ServerMetrics;
  limits: { maxQueryLimit: number; queryTimeoutMs: number };
  multiTenant: boolean;
  /** How often the engine is polled for new entries (default 500 ms). */
  pollMs: number;
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

/** Follows one query on one socket until either side closes. */
class Tailer {
  private cursor: Micros;
  /** Keys (stream + line) already sent at exactly `cursor`. */
  private seenAtCursor = new Set<string>();
  private first = true;
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private alive = true;
  private closed = false;

  constructor(private readonly socket: WebSocket, private readonly p: TailParams, private readonly opts: TailPluginOptions) {
    this.cursor = p.start;
  }

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
    void this.poll();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pinger) clearInterval(this.pinger);
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      await this.once();
    } catch (e) {
      if (this.closed) return;
      const code = isVigilError(e) && e.status < 500 ? 1008 : 1011;
      this.closed = true;
      this.socket.close(code, closeReason(isVigilError(e) ? e.message : `tail failed: ${errorMessage(e)}`));
      return;
    }
    if (!this.closed) this.timer = setTimeout(() => void this.poll(), this.opts.pollMs);
  }

  private async once(): Promise<void> {
    const end = nowMicros() - this.p.delayFor;
    if (end <= this.cursor) return;
    // The first poll shows the newest `limit` entries (what a user expects on connect); later polls read forward.
    const direction = this.first ? 'backward' : 'forward';
    const data = await runEngineQuery(
      this.opts.engine,
      { tenant: this.p.tenant, query: this.p.query, start: this.cursor, end, limit: this.p.limit, direction, kind: 'range', step: MICROS_PER_SECOND },
      { timeoutMs: this.opts.limits.queryTimeoutMs },
    );
    this.first = false;
    if (data.resultType !== 'streams') throw new VigilError('BAD_QUERY', 'tail supports log queries only, not metric queries');
    const all = entriesOf(data.result);
    const fresh = all.filter((e) => e.ts > this.cursor || (e.ts === this.cursor && !this.seenAtCursor.has(`${e.key}\n${e.line}`)));
    if (fresh.length === 0) {
      // A full page of already-sent entries at one timestamp would repeat forever: step past it.
      if (all.length >= this.p.limit) {
        this.cursor += 1;
        this.seenAtCursor.clear();
      }
      return;
    }
    const last = (fresh[fresh.length - 1] as TailEntry).ts;
    if (last !== this.cursor) this.seenAtCursor.clear();
    this.cursor = last;
    for (const e of fresh) if (e.ts === last) this.seenAtCursor.add(`${e.key}\n${e.line}`);
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(frameOf(fresh)));
  }
}

/** Registers the tail websocket route (requires @fastify/websocket on the root instance). */
export async function tailPlugin(app: FastifyInstance, opts: TailPluginOptions): Promise<void> {
  const params = new WeakMap<FastifyRequest, TailParams>();
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
        params.set(request, parseTailParams(request, opts));
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
      new Tailer(socket, p, opts).start();
    },
  );
}
