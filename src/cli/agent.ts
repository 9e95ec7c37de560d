/**
 * Wiring of `vigil agent`: sources, transforms and sinks only — no store, no query API — plus
 * /ready and /metrics. `startAgent` never exits the process; the command decides that.
 */
import { setAgentDescription } from '../agent-identity/report.js';
import { describeConfig } from './describe.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../server/process-metrics.js';
import { ComponentMetricFamilies } from '../components/metrics.js';
import { DEFAULT_LISTEN } from '../config/schema.js';
import type { VigilConfig } from '../config/load.js';
import { errorMessage, VigilError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { Topology } from '../pipeline/topology.js';
import { buildAgentServer } from '../server/agent-app.js';
import { join } from 'node:path';
import { HostMetrics } from '../hostmetrics/index.js';
import { RemoteWriteGroup, resolveRemoteWriteConfigs, type ResolvedRemoteWriteConfig } from '../metrics/remote-write/index.js';
import { durationMs } from '../monitor/config.js';
import type { MonitorService } from '../monitor/monitor-service.js';
import { lookupProbe } from '../monitor/probes/index.js';
import { ScrapeManager } from '../scrape/index.js';
import { exposureProblem, splitListen } from './security.js';

/** An agent beside a `vigil run` on the same host must not fight over 9470. */
export const DEFAULT_AGENT_LISTEN = '127.0.0.1:9471';

export interface RunningAgent {
  url: string;
  server: FastifyInstance;
  reload(next: VigilConfig): Promise<void>;
  stop(): Promise<void>;
}

function readFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new VigilError('CONFIG_INVALID', `server.tls.${key}: cannot read ${path}: ${errorMessage(e)}`);
  }
}

/** remote_write to the servers of the first `vigil` sink (in turn, failing over like the sink), with its token and TLS settings. */
function derivedRemoteWrite(config: VigilConfig): ResolvedRemoteWriteConfig[] {
  const sink = config.sinks.find((s) => s.type === 'vigil');
  if (!sink) return [];
  const c = sink.config as { servers: string[]; token?: string; tls?: { ca_file?: string; cert_file?: string; key_file?: string; server_name?: string; insecure_skip_verify?: boolean } };
  const server = c.servers[0];
  if (!server) return [];
  const tls = c.tls ? Object.fromEntries(Object.entries(c.tls).filter(([k]) => ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify'].includes(k))) : undefined;
  const r = resolveRemoteWriteConfigs([{ url: `${server.replace(/\/+$/, '')}/api/v1/write`, name: `sink-${sink.id}`, ...(c.token ? { authorization: { credentials: c.token } } : {}), ...(tls ? { tls_config: tls } : {}) }]);
  if (r.issues.length > 0) throw new VigilError('CONFIG_INVALID', `remote write derived from sinks.${sink.id}: ${r.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.configs.map((cfg) => ({ ...cfg, failoverUrls: c.servers.slice(1).map((s) => `${s.replace(/\/+$/, '')}/api/v1/write`) }));
}

export async function startAgent(config: VigilConfig, logger: Logger): Promise<RunningAgent> {
  const listen = config.raw.server.listen === DEFAULT_LISTEN ? DEFAULT_AGENT_LISTEN : config.raw.server.listen;
  const problem = exposureProblem(listen, config.raw.server.auth.tokens);
  if (problem) throw new Error(problem);
  if (config.sinks.length === 0 && config.remoteWrite.length === 0) {
    throw new VigilError('CONFIG_INVALID', 'an agent needs at least one sink (e.g. `vigil` pointing at a Vigil server) or a `remote_write` destination; see docs/configuration.md');
  }
  mkdirSync(config.dataDir, { recursive: true });
  const registry = new Registry();
  collectProcessMetrics(registry);
  const families = new ComponentMetricFamilies(registry);
  const tlsCfg = config.raw.server.tls;
  const tls = tlsCfg ? { cert: readFile(tlsCfg.cert_file, 'cert_file'), key: readFile(tlsCfg.key_file, 'key_file') } : undefined;
  let ready = false;
  const deps = { logger, families, hostname: hostname(), stores: {} };
  let topology = new Topology(config, deps);
  // Metrics an agent produces (host metrics, probes from this location, scrapes) are remote-written:
  // to `remote_write:` when configured, else to the first server of a `vigil` sink.
  const metricsTargets = (c: VigilConfig) => (c.remoteWrite.length > 0 ? c.remoteWrite : derivedRemoteWrite(c));
  const remoteWrite = new RemoteWriteGroup({ configs: metricsTargets(config), dataDir: config.dataDir, logger: logger.child({ component: 'remote-write' }), registry });
  const hostMetrics = config.raw.host_metrics.enabled && remoteWrite.enabled
    ? new HostMetrics({ config: config.raw.host_metrics, appender: remoteWrite, logger: logger.child({ component: 'host-metrics' }), hostname: hostname(), registry })
    : undefined;
  if (!remoteWrite.enabled && (config.raw.host_metrics.enabled || config.monitors.length > 0 || config.scrape.length > 0)) {
    logger.warn('host metrics, monitors and scrapes need a destination in vigil agent (a `vigil` sink or `remote_write:`); they are off');
  }
  // Probes run by an agent say where they ran from, so the server tells locations apart.
  const located = (c: VigilConfig) => c.monitors.map((m) => ({ ...m, labels: { location: hostname(), ...m.labels } }));
  // Imported only when monitors are configured: its history store loads better-sqlite3, which
  // most agents (collecting logs only) never use.
  const createMonitors = async (c: VigilConfig): Promise<MonitorService | undefined> => {
    if (!remoteWrite.enabled || c.monitors.length === 0) return undefined;
    const { MonitorService } = await import('../monitor/monitor-service.js');
    return new MonitorService({
      monitors: located(c),
      appender: remoteWrite,
      dataDir: config.dataDir,
      logger: logger.child({ component: 'monitors' }),
      lookupProbe,
      registry,
      hostname: hostname(),
      maxConcurrency: c.raw.monitoring.max_concurrency,
      historyRetentionMs: durationMs(c.raw.monitoring.history_retention),
    });
  };
  let monitorSvc = await createMonitors(config);
  const scrape = remoteWrite.enabled
    ? new ScrapeManager({ configs: config.scrape, appender: remoteWrite, logger: logger.child({ component: 'scrape' }), registry, dataDir: join(config.dataDir, 'scrape') })
    : undefined;
  const stopMetrics = async () => {
    await scrape?.stop();
    await hostMetrics?.stop();
    await monitorSvc?.stop();
    await remoteWrite.stop();
  };
  const server = await buildAgentServer({
    logger: logger.child({ component: 'server' }),
    registry,
    auth: { tokens: config.raw.server.auth.tokens, publicMetrics: config.raw.server.auth.public_metrics },
    ready: () => ready,
    version: VERSION,
    ...(tls ? { tls } : {}),
  });
  const { host, port } = splitListen(listen);
  try {
    await topology.start();
    await remoteWrite.start();
    await monitorSvc?.start();
    await hostMetrics?.start();
    await scrape?.start();
    await server.listen({ host, port });
  } catch (e) {
    await stopMetrics();
    await topology.stop();
    await server.close();
    throw e;
  }
  const addr = server.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : 0;
  const shownHost = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  ready = true;
  let current = config;
  setAgentDescription(() => describeConfig(current));
  let stopping: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${boundPort}`,
    server,
    async reload(next) {
      const candidate = new Topology(next, deps);
      await topology.stop();
      try {
        await candidate.start();
        topology = candidate;
        current = next;
        await remoteWrite.reload(metricsTargets(next));
        if (monitorSvc) {
          monitorSvc.configure({ maxConcurrency: next.raw.monitoring.max_concurrency, historyRetentionMs: durationMs(next.raw.monitoring.history_retention) });
          await monitorSvc.reload(located(next));
        } else {
          const created = await createMonitors(next);
          if (created) {
            await created.start();
            monitorSvc = created;
          }
        }
        await hostMetrics?.reload(next.raw.host_metrics);
        await scrape?.reload(next.scrape);
      } catch (e) {
        logger.error({ error: errorMessage(e) }, 'new configuration failed to start; restoring the previous one');
        topology = new Topology(current, deps);
        await topology.start();
        throw e;
      }
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        await stopMetrics();
        await topology.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}
