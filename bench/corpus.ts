/**
 * A seeded synthetic log corpus for benches: nginx access lines, JSON app logs and multi-line
 * stack traces over 20 streams (service × host × level), spread evenly over a time span. The same
 * seed always gives the same corpus. A rare needle is planted a few times at known places.
 */
import type { LogBatch, StreamBatch } from '../src/core/events.js';
import type { Labels } from '../src/core/labels.js';
import type { Micros } from '../src/core/time.js';

export interface CorpusOptions {
  /** Total lines. */
  lines: number;
  /** First and last timestamp (microseconds); lines are spread evenly between them. */
  start: Micros;
  end: Micros;
  seed?: number;
  /** Lines per yielded batch (all streams together). Default 10 000. */
  batchLines?: number;
}

/** The planted rare needle: appears in NEEDLE_COUNT lines of the corpus. */
export const NEEDLE = 'req-7f3a9c0e51d2b846';
export const NEEDLE_COUNT = 3;

const SERVICES = ['nginx', 'api', 'billing', 'auth', 'worker'] as const;
const HOSTS = ['host-a', 'host-b'] as const;
const LEVELS = ['info', 'error'] as const;

/** mulberry32: small, fast, good enough for synthetic data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 20 stream label sets of the corpus. */
export function corpusStreams(): Labels[] {
  const out: Labels[] = [];
  for (const service of SERVICES) for (const host of HOSTS) for (const level of LEVELS) out.push({ service, host, level });
  return out;
}

const PATHS = ['/', '/api/v1/users', '/api/v1/orders', '/static/app.js', '/static/app.css', '/login', '/api/v1/search', '/health', '/api/v1/cart', '/images/logo.png'];
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0', 'curl/8.5.0', 'Go-http-client/1.1', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1) Safari/604.1'];
const MSGS = ['request handled', 'cache miss', 'user logged in', 'order created', 'payment authorized', 'job finished', 'retrying upstream', 'token refreshed'];
const ERRORS = ['upstream timed out', 'connection refused', 'invalid token', 'deadlock detected', 'out of stock', 'rate limit exceeded'];
const FRAMES = ['at Object.handle (/app/src/server/routes.js:118:15)', 'at processTicksAndRejections (node:internal/process/task_queues:95:5)', 'at Pool.query (/app/node_modules/pg-pool/index.js:45:11)', 'at async OrderService.create (/app/src/orders/service.js:77:9)', 'at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)'];

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function pick<T>(r: () => number, a: ReadonlyArray<T>): T {
  return a[Math.floor(r() * a.length)] as T;
}

function line(r: () => number, labels: Labels, ts: Micros): string {
  const service = labels.service;
  const err = labels.level === 'error';
  if (service === 'nginx') {
    const ip = `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
    const status = err ? pick(r, [500, 502, 503, 504]) : pick(r, [200, 200, 200, 200, 304, 301, 404]);
    const d = new Date(Math.floor(ts / 1000)).toISOString();
    return `${ip} - - [${d}] "GET ${pick(r, PATHS)}?id=${Math.floor(r() * 100000)} HTTP/1.1" ${status} ${Math.floor(r() * 50000)} "-" "${pick(r, AGENTS)}" rt=${(r() * 2).toFixed(3)}`;
  }
  if (err && r() < 0.3) {
    const frames = Array.from({ length: 3 + Math.floor(r() * 5) }, () => `    ${pick(r, FRAMES)}`);
    return `Error: ${pick(r, ERRORS)} (trace_id=${hex(r, 16)})\n${frames.join('\n')}`;
  }
  return JSON.stringify({
    time: new Date(Math.floor(ts / 1000)).toISOString(),
    level: labels.level,
    service,
    msg: err ? pick(r, ERRORS) : pick(r, MSGS),
    trace_id: hex(r, 16),
    user_id: Math.floor(r() * 50000),
    duration_ms: Math.floor(r() * 900),
  });
}

/**
 * Yields the corpus as log batches in time order. Info streams get ~10x the lines of error
 * streams. Deterministic for a given seed.
 */
export function* generateCorpus(opts: CorpusOptions): Generator<LogBatch> {
  const r = rng(opts.seed ?? 42);
  const streams = corpusStreams();
  const weights = streams.map((l) => (l.level === 'info' ? 10 : 1) * (l.service === 'nginx' ? 2 : 1));
  const totalW = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(((s) => (w: number) => (s += w) / totalW)(0));
  const batchLines = opts.batchLines ?? 10_000;
  const step = opts.lines > 1 ? (opts.end - opts.start) / (opts.lines - 1) : 0;
  const needleAt = new Set(Array.from({ length: NEEDLE_COUNT }, (_, i) => Math.floor(((i + 0.5) * opts.lines) / NEEDLE_COUNT)));
  for (let from = 0; from < opts.lines; from += batchLines) {
    const to = Math.min(opts.lines, from + batchLines);
    const byStream = new Map<number, StreamBatch>();
    for (let i = from; i < to; i++) {
      const x = r();
      let s = cumulative.findIndex((c) => x < c);
      if (s < 0) s = streams.length - 1;
      if (needleAt.has(i)) s = streams.findIndex((l) => l.service === 'api' && l.level === 'error');
      const labels = streams[s] as Labels;
      const ts = Math.floor(opts.start + i * step);
      let text = line(r, labels, ts);
      if (needleAt.has(i)) text = `Error: payment declined for ${NEEDLE} (card expired)`;
      let b = byStream.get(s);
      if (!b) byStream.set(s, (b = { labels, ts: [], lines: [] }));
      b.ts.push(ts);
      b.lines.push(text);
    }
    yield { streams: [...byStream.values()] };
  }
}
