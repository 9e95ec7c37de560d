/**
 * Test helpers for the HTTP push sources: start a source from its definition on a free loopback
 * port with the component test context, and send it requests.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { SourceDefinition } from '../../components/contract.js';
import { makeTestContext, type TestContext } from '../../components/testing.js';
import { batchToRecords, type LogRecord } from '../../core/events.js';

export interface RunningSource {
  ctx: TestContext;
  url: string;
  port: number;
  records(): LogRecord[];
  stop(): Promise<void>;
}

/** Builds and starts `def` with `config` (listen defaults to 127.0.0.1:0). */
export async function startHttpSource<S extends TObject>(def: SourceDefinition<S>, config: Static<S>, scheme = 'http'): Promise<RunningSource> {
  const ctx = makeTestContext('source', def.type);
  const source = def.build({ listen: '127.0.0.1:0', ...config }, ctx) as unknown as { start(): Promise<void>; stop(): Promise<void>; address(): { port: number } | undefined };
  await source.start();
  const port = source.address()?.port as number;
  return {
    ctx,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    records: () => ctx.emitted.flatMap((b) => batchToRecords(b)),
    async stop() {
      await source.stop();
      ctx.abort();
      ctx.cleanup();
    },
  };
}

/** A promise with its resolve/reject exposed (for holding an emit open). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
