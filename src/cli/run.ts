/**
 * Wiring of `vigil run`: the embedded store, the collection topology, the LogQL engine and the
 * HTTP server in one process. `startVigil` never exits the process; the command decides that.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../server/process-metrics.js';
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
import { setAgentDescription } from '../agent-identity/report.js';
import { HostMetrics } from '../hostmetrics/index.js';
import { ScrapeManager } from '../scrape/index.js';
import { RemoteWriteGroup } from '../metrics/remote-write/index.js';
import { durationMs } from '../monitor/config.js';
import { MonitorService } from '../monitor/monitor-service.js';
import { lookupProbe } from '../monitor/probes/index.js';
import { AgentRegistry } from '../server/agents/registry.js';
import { describeConfig } from './describe.js';

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
  collectProcessMetrics(registry);
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
  // Samples Vigil produces go to the store and to every remote_write destination.
  const remoteWrite = new RemoteWriteGroup({ configs: config.remoteWrite, dataDir: config.dataDir, logger: logger.child({ component: 'remote-write' }), registry });
  const sampleSink = remoteWrite.withStore(metricsStore);
  const hostMetrics = config.raw.host_metrics.enabled
    ? new HostMetrics({ config: config.raw.host_metrics, appender: sampleSink, logger: logger.child({ component: 'host-metrics' }), hostname: hostname(), registry })
    : undefined;
  const monitorSvc = new MonitorService({
    monitors: config.monitors,
    appender: sampleSink,
    dataDir: config.dataDir,
    logger: logger.child({ component: 'monitors' }),
    lookupProbe,
    registry,
    hostname: hostname(),
    maxConcurrency: config.raw.monitoring.max_concurrency,
    historyRetentionMs: durationMs(config.raw.monitoring.history_retention),
  });
  const scrape = new ScrapeManager({ configs: config.scrape, appender: sampleSink, logger: logger.child({ component: 'scrape' }), registry, dataDir: join(config.dataDir, 'scrape') });
  const agents = new AgentRegistry({ dataDir: config.dataDir, logger: logger.child({ component: 'agents' }), metrics: registry });
  setAgentDescription(() => describeConfig(current));
  const stopStores = async () => {
    await agents.close();
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

  let current = config;
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
    monitors: monitorSvc,
    agents,
    scrape,
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
    await remoteWrite.start();
    await monitorSvc.start();
    await hostMetrics?.start();
    await scrape.start();
    const { host, port } = splitListen(config.raw.server.listen);
    await server.listen({ host, port });
  } catch (e) {
    await scrape.stop();
    await hostMetrics?.stop();
    await monitorSvc.stop();
    await remoteWrite.stop();
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
        monitorSvc.configure({ maxConcurrency: next.raw.monitoring.max_concurrency, historyRetentionMs: durationMs(next.raw.monitoring.history_retention) });
        await monitorSvc.reload(next.monitors);
        await hostMetrics?.reload(next.raw.host_metrics);
        await scrape.reload(next.scrape);
        await remoteWrite.reload(next.remoteWrite);
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
        await scrape.stop();
        await hostMetrics?.stop();
        await monitorSvc.stop();
        await remoteWrite.stop();
        await topology.stop();
        // Server first: no remote write or query may reach a stopping store.
        await server.close();
        await stopStores();
      })();
      return stopping;
    },
  };
}
