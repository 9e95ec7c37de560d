/**
 * Test support: a scriptable remote write receiver (decodes every request with Vigil's own
 * decoder and answers what the test says) and a resolved config with fast timings.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequest, type DecodedSeries } from '../../server/prometheus/remote-write-decode.js';
import { snappyUncompress } from '../../server/loki/snappy-codec.js';
import { resolveRemoteWriteConfigs, type ResolvedRemoteWriteConfig } from './config.js';

export interface ReceivedRequest {
  at: number;
  headers: IncomingMessage['headers'];
  series: DecodedSeries[];
  samples: number;
  status: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer this much later (a slow receiver). */
  delayMs?: number;
}

export interface ScriptedReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Decides the answer to each request (default 204). */
  answer: (req: ReceivedRequest, n: number) => Answer;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (a fixed port to simulate a restart of the same endpoint). */
export async function scriptedReceiver(port = 0): Promise<ScriptedReceiver> {
  const r: ScriptedReceiver = {
    url: '',
    requests: [],
    answer: () => ({ status: 204 }),
    close: () => new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const decoded = decodeWriteRequest(await snappyUncompress(body, 64 * 1024 * 1024));
        const rec: ReceivedRequest = { at: Date.now(), headers: req.headers, series: decoded.series, samples: decoded.samples, status: 0 };
        const a = r.answer(rec, r.requests.length);
        rec.status = a.status;
        r.requests.push(rec);
        if (a.delayMs) await new Promise((d) => setTimeout(d, a.delayMs).unref());
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      })().catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  return r;
}

/** A resolved config for `url` with timings small enough for tests; `extra` is raw YAML-shaped config merged in. */
export function testConfig(url: string, extra: Record<string, unknown> = {}, queue: Record<string, unknown> = {}): ResolvedRemoteWriteConfig {
  const raw = [{
    url,
    name: 'test',
    queue_config: { max_samples_per_send: 100, batch_send_deadline: '20ms', min_backoff: '10ms', max_backoff: '100ms', ...queue },
    ...extra,
  }];
  const { configs, issues } = resolveRemoteWriteConfigs(raw);
  if (issues.length > 0) throw new Error(JSON.stringify(issues));
  return configs[0] as ResolvedRemoteWriteConfig;
}

/** Polls `cond` every 10 ms until it holds; throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
