/**
 * Test support for the Prometheus API: encodes remote write 1.0 bodies (so tests send exactly
 * what Prometheus sends) and builds an in-process server over a real MetricsStore in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { pino } from 'pino';
import type { Labels } from '../../core/labels.js';
import { MetricsStore } from '../../store/metrics/index.js';
import { snappyCompress } from '../loki/snappy-codec.js';
import { testServer, type TestServer } from '../testing/harness.js';
import type { ServerOptions } from '../app.js';

export interface WriteSeries {
  labels: Array<[string, string]> | Labels;
  /** `bits`: the value's 8 little-endian bytes, to send NaN payloads (stale markers) exactly. */
  samples: Array<{ value?: number; bits?: Uint8Array; timestamp: number }>;
}

/** The 8 little-endian bytes of Prometheus's stale marker (0x7ff0000000000002). */
export const STALE_BITS = Uint8Array.from([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** The protobuf (uncompressed) WriteRequest for `series`. */
export function encodeWriteRequestRaw(series: WriteSeries[]): Buffer {
  const w = protobuf.Writer.create();
  for (const s of series) {
    const ts = protobuf.Writer.create();
    const pairs = Array.isArray(s.labels) ? s.labels : Object.entries(s.labels);
    for (const [name, value] of pairs) {
      const label = protobuf.Writer.create().uint32((1 << 3) | 2).string(name).uint32((2 << 3) | 2).string(value).finish();
      ts.uint32((1 << 3) | 2).bytes(label);
    }
    for (const x of s.samples) {
      const bits = x.bits ?? new Uint8Array(new Float64Array([x.value ?? 0]).buffer);
      const tail = protobuf.Writer.create().uint32((2 << 3) | 0).int64(x.timestamp).finish();
      ts.uint32((2 << 3) | 2).bytes(Buffer.concat([Buffer.from([(1 << 3) | 1]), bits, tail]));
    }
    w.uint32((1 << 3) | 2).bytes(ts.finish());
  }
  return Buffer.from(w.finish());
}

/** A snappy-compressed WriteRequest body, as Prometheus posts it. */
export async function encodeWriteRequest(series: WriteSeries[]): Promise<Buffer> {
  return snappyCompress(encodeWriteRequestRaw(series));
}

export interface PromTestServer extends TestServer {
  metricsStore: MetricsStore;
  dir: string;
  close(): Promise<void>;
}

/** A test server (harness.ts) whose Prometheus routes use a real MetricsStore in a fresh temp dir. */
export async function promTestServer(overrides: Partial<ServerOptions> = {}): Promise<PromTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prom-api-'));
  const metricsStore = await MetricsStore.open({ dir, config: {}, logger: pino({ level: 'silent' }) });
  const t = await testServer({ metricsStore, ...overrides });
  return {
    ...t,
    metricsStore,
    dir,
    async close() {
      await t.app.close();
      await metricsStore.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
