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

export async function startAgent(config: VigilConfig, logger: Logger): Promise<RunningAgent> {
  const listen = config.raw.server.listen === DEFAULT_LISTEN ? DEFAULT_AGENT_LISTEN : config.raw.server.listen;
  const problem = exposureProblem(listen, config.raw.server.auth.tokens);
  if (problem) throw new Error(problem);
  if (config.sinks.length === 0) {
    throw new VigilError('CONFIG_INVALID', 'an agent needs at least one sink (e.g. `loki` pointing at a Vigil server\'s /loki/api/v1/push); see docs/configuration.md');
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
    await server.listen({ host, port });
  } catch (e) {
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
        await topology.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}
