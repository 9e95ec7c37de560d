/** Builds a server over in-memory parts for tests, with overridable options. */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildServer, type ServerOptions } from '../app.js';
import { AppendHub } from '../../store/append-hub.js';
import { MemoryLogStore } from './memory-store.js';
import { SelectorEngine } from './selector-engine.js';

export interface TestServer {
  app: FastifyInstance;
  store: MemoryLogStore;
  /** Appends through here reach live tails (as the push endpoint's do). */
  hub: AppendHub;
  engine: SelectorEngine;
  registry: Registry;
  ready: { value: boolean };
}

export const TEST_LIMITS: ServerOptions['limits'] = {
  maxBodyBytes: 64 * 1024,
  maxStreamsPerPush: 10,
  maxEntriesPerPush: 100,
  maxQueryLimit: 1000,
  queryTimeoutMs: 2000,
  maxFutureMicros: 10 * 60 * 1_000_000,
  maxPastMicros: 7 * 24 * 3600 * 1_000_000,
  maxConcurrentTails: 2,
};

/** A server over a fresh MemoryLogStore, SelectorEngine and Registry; callers close `app`. */
export async function testServer(overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const store = new MemoryLogStore();
  const hub = new AppendHub(store);
  const engine = new SelectorEngine(store);
  const registry = new Registry();
  const ready = { value: true };
  const app = await buildServer({
    logger: pino({ level: 'silent' }),
    registry,
    appender: hub,
    feed: hub,
    querier: store,
    engine,
    auth: { tokens: [], publicMetrics: false },
    limits: TEST_LIMITS,
    multiTenant: false,
    ready: () => ready.value,
    version: '9.9.9-test',
    ...overrides,
  });
  return { app, store, hub, engine, registry, ready };
}

/** The value of one metric sample from the registry (0 when absent). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  let sum = 0;
  for (const v of data.values) {
    if (Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x)) sum += v.value;
  }
  return sum;
}
