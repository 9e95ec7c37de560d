/**
 * Wiring of `vigil run`: the embedded store, the collection topology, the LogQL engine and the
 * HTTP server in one process. `startVigil` never exits the process; the command decides that.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ComponentMetricFamilies } from '../components/metrics.js';
import type { VigilConfig } from '../config/load.js';
import { errorMessage, VigilError } from '../core/errors.js';
import { parseDuration } from '../core/time.js';
import { parseBytes } from '../core/units.js';
import { VERSION } from '../core/version.js';
import { Topology } from '../pipeline/topology.js';
import { formatQueryError, LogQLEngine } from '../query/logql/index.js';
import { buildServer } from '../server/app.js';
import { AppendHub } from '../store/append-hub.js';
import { LogStore } from '../store/logs/index.js';
import { MetricsStore } from '../store/metrics/index.js';
import { exposureProblem, splitListen } from './security.js';

export interface RunningVigil {
  config: VigilConfig;
  store: LogStore;
  metricsStore: MetricsStore;
  server: FastifyInstance;
  /** The address actually bound (port 0 resolves to a real port). */
  url: string;
  topology(): Topology;
  /** Applies a new config's sources/sinks; throws (keeping the running ones) if it cannot. */
  reload(next: VigilConfig): Promise<void>;
  stop(): Promise<void>;
}

function readTlsFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new VigilError('CONFIG_INVALID', `server.tls.${key}: cannot read ${path}: ${errorMessage(e)}`);
  }
}

export async function startVigil(config: VigilConfig, logger: Logger): Promise<RunningVigil> {
  const problem = exposureProblem(config.raw.server.listen, config.raw.server.auth.tokens);
  if (problem) throw new Error(problem);
  mkdirSync(config.dataDir, { recursive: true });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });
  const families = new ComponentMetricFamilies(registry);

  const store = await LogStore.open({
    dir: join(config.dataDir, 'store', 'logs'),
    config: config.raw.storage.logs,
    logger: logger.child({ component: 'store' }),
    registry,
  });
  await store.start(); // idle chunk cuts, retention and compaction timers
  let metricsStore: MetricsStore;
  try {
    metricsStore = await MetricsStore.open({
      dir: join(config.dataDir, 'store', 'metrics'),
      config: config.raw.storage.metrics,
      logger: logger.child({ component: 'metrics-store' }),
      registry,
    });
  } catch (e) {
    await store.stop();
    throw e;
  }
  metricsStore.start(); // flush and retention timers
  const stopStores = async () => {
    await metricsStore.stop();
    await store.stop();
  };
  // Everything appended (pushes and sources) passes the hub, so live tails see it.
  const hub = new AppendHub(store, (e) => logger.error({ error: errorMessage(e) }, 'live tail subscriber failed'));
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    tls = config.raw.server.tls ? { cert: readTlsFile(config.raw.server.tls.cert_file, 'cert_file'), key: readTlsFile(config.raw.server.tls.key_file, 'key_file') } : undefined;
  } catch (e) {
    await stopStores();
    throw e;
  }

  let ready = false;
  let topology = new Topology(config, { logger, families, hostname: hostname(), stores: { logs: hub } });
  const limits = config.raw.server.limits;
  const server = await buildServer({
    logger: logger.child({ component: 'server' }),
    registry,
    appender: hub,
    feed: hub,
    querier: store,
    metricsStore,
    ...(tls ? { tls } : {}),
    engine: new LogQLEngine(store, { maxEntriesLimit: limits.max_query_limit }),
    auth: { tokens: config.raw.server.auth.tokens, publicMetrics: config.raw.server.auth.public_metrics },
    limits: {
      maxBodyBytes: parseBytes(limits.max_body_bytes) ?? 16e6,
      maxStreamsPerPush: limits.max_streams_per_push,
      maxEntriesPerPush: limits.max_entries_per_push,
      maxQueryLimit: limits.max_query_limit,
      queryTimeoutMs: (parseDuration(limits.query_timeout) ?? 60e6) / 1000,
      maxFutureMicros: parseDuration(config.raw.storage.logs.creation_grace_period) ?? 600e6,
      maxPastMicros: parseDuration(config.raw.storage.logs.reject_old_samples_max_age) ?? 604_800e6,
    },
    multiTenant: config.raw.server.multi_tenant,
    ready: () => ready,
    version: VERSION,
    parseErrorFormatter: formatQueryError,
  });

  try {
    await topology.start();
    const { host, port } = splitListen(config.raw.server.listen);
    await server.listen({ host, port });
  } catch (e) {
    await topology.stop();
    await server.close();
    await stopStores();
    throw e;
  }
  const addr = server.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : 0;
  const { host } = splitListen(config.raw.server.listen);
  const shownHost = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `${config.raw.server.tls ? 'https' : 'http'}://${shownHost}:${boundPort}`;
  ready = true;

  let current = config;
  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    metricsStore,
    server,
    url,
    topology: () => topology,
    async reload(next) {
      const old = topology;
      const candidate = new Topology(next, { logger, families, hostname: hostname(), stores: { logs: hub } });
      await old.stop();
      try {
        await candidate.start();
        topology = candidate;
        current = next;
      } catch (e) {
        logger.error({ error: errorMessage(e) }, 'new configuration failed to start; restoring the previous one');
        topology = new Topology(current, { logger, families, hostname: hostname(), stores: { logs: hub } });
        await topology.start();
        throw e;
      }
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        await topology.stop();
        // Server first: no remote write or query may reach a stopping store.
        await server.close();
        await stopStores();
      })();
      return stopping;
    },
  };
}
