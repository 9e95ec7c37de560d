/**
 * Delivery of one batch to one sink: retries with exponential backoff and jitter while the sink
 * answers `errored` (honouring its retry-after), dead-letters `rejected` batches with the reason.
 * Resolves once the batch is delivered or dead-lettered; rejects only when aborted (shutdown), so
 * the source never acknowledges a batch that no sink durably took.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ComponentMetrics, Sink, SinkResult } from '../components/contract.js';
import type { LogBatch } from '../core/events.js';
import { batchSize } from '../core/events.js';
import { VigilError } from '../core/errors.js';
import { microsToRfc3339 } from '../core/time.js';

export interface DeliveryOptions {
  sinkId: string;
  sink: Sink;
  metrics: ComponentMetrics;
  logger: Logger;
  /** Directory for `<sink>.ndjson` dead-letter files. */
  deadLetterDir: string;
  signal: AbortSignal;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called after each attempt: `ok` false when the destination failed or pushed back (adaptive concurrency). */
  onAttempt?: (ok: boolean, rttMs: number) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new VigilError('UNAVAILABLE', 'pipeline stopping'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new VigilError('UNAVAILABLE', 'pipeline stopping'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Appends a rejected batch with its reason to the sink's dead-letter file (one JSON object per entry). */
export async function deadLetter(dir: string, sinkId: string, batch: LogBatch, reason: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const lines: string[] = [];
  for (const s of batch.streams) {
    for (let i = 0; i < s.lines.length; i++) {
      lines.push(JSON.stringify({ at, sink: sinkId, reason, labels: s.labels, ts: microsToRfc3339(s.ts[i] ?? 0), line: s.lines[i] }));
    }
  }
  await appendFile(join(dir, `${sinkId}.ndjson`), `${lines.join('\n')}\n`);
}

/** Dead-letters, but never lets a failing dead-letter file (full disk) stall delivery: logged and counted. */
async function deadLetterSafely(o: DeliveryOptions, batch: LogBatch, reason: string): Promise<void> {
  try {
    await deadLetter(o.deadLetterDir, o.sinkId, batch, reason);
  } catch (e) {
    o.metrics.error('sending', batchSize(batch));
    o.logger.error({ sink: o.sinkId, error: (e as Error).message, entries: batchSize(batch) }, 'cannot write the dead-letter file; the rejected entries are not kept');
  }
}

export async function deliver(input: LogBatch, o: DeliveryOptions): Promise<void> {
  let batch = input;
  const minMs = o.minBackoffMs ?? 100;
  const maxMs = o.maxBackoffMs ?? 30_000;
  let attempt = 0;
  for (;;) {
    if (o.signal.aborted) throw new VigilError('UNAVAILABLE', 'pipeline stopping');
    let result: SinkResult;
    const t0 = performance.now();
    try {
      result = await o.sink.send(batch);
    } catch (e) {
      // A sink should answer `errored` instead of throwing; treat a throw the same way.
      result = { status: 'errored' as const, error: (e as Error).message };
    }
    o.onAttempt?.(result.status === 'delivered' || result.status === 'rejected', performance.now() - t0);
    if (result.status === 'delivered') return;
    if (result.status === 'rejected') {
      const n = batchSize(batch);
      o.metrics.discarded('rejected', n);
      o.logger.error({ sink: o.sinkId, error: result.reason, entries: n }, 'sink rejected a batch permanently; written to the dead-letter file');
      await deadLetterSafely(o, batch, result.reason);
      return;
    }
    if (result.status === 'partial') {
      for (const r of result.rejected) {
        const n = batchSize(r.batch);
        if (n === 0) continue;
        o.metrics.discarded('rejected', n);
        o.logger.error({ sink: o.sinkId, error: r.reason, entries: n }, 'sink rejected entries permanently; written to the dead-letter file');
        await deadLetterSafely(o, r.batch, r.reason);
      }
      if (!result.retry || batchSize(result.retry) === 0) return;
      batch = result.retry;
    }
    attempt++;
    o.metrics.error('sending');
    const backoff = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 20));
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    const wait = Math.max(jittered, result.retryAfterMs ?? 0);
    if (attempt === 1 || attempt % 10 === 0) {
      o.logger.warn({ sink: o.sinkId, error: result.error, attempt, retry_in_ms: Math.round(wait) }, 'sink failed to take a batch; retrying');
    }
    await sleep(wait, o.signal);
  }
}
