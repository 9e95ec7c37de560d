/**
 * `vigil run`: loads the config (or the built-in defaults), starts everything, says what it does,
 * reloads on SIGHUP (a bad config keeps the running one), stops cleanly on SIGINT/SIGTERM.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { glob } from 'tinyglobby';
import { ConfigError, loadConfigFile, resolveConfig, type Mode, type VigilConfig } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { VERSION } from '../core/version.js';

function load(file: string | undefined, listen: string | undefined, mode: Mode): VigilConfig {
  const opts = { mode, env: process.env, cwd: process.cwd(), ...(listen ? { listen } : {}) };
  return file ? loadConfigFile(file, opts) : resolveConfig({}, opts);
}

async function describeSources(config: VigilConfig, logger: Logger): Promise<void> {
  for (const s of config.sources) {
    const include = (s.config as { include?: string[] }).include;
    if (s.type !== 'file' || !include) {
      logger.info({ source: s.id, type: s.type }, 'collecting');
      continue;
    }
    const exclude = (s.config as { exclude?: string[] }).exclude ?? [];
    let files: string[] = [];
    try {
      files = await glob(include, { ignore: exclude, absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: false });
    } catch {
      // the source itself reports unreadable paths
    }
    const shown = files.slice(0, 8);
    logger.info(
      { source: s.id, include, files: files.length, first: shown },
      `collecting ${files.length} file${files.length === 1 ? '' : 's'} matching ${include.join(', ')}${files.length > shown.length ? ` (first ${shown.length} listed)` : ''}`,
    );
  }
}

/** `vigil run` (everything) or `vigil agent` (collection only: no store, no query API). */
export async function runCommand(o: { config?: string; listen?: string }, mode: Mode = 'run'): Promise<number> {
  let config: VigilConfig;
  try {
    config = load(o.config, o.listen, mode);
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n`);
    return 2;
  }
  const logging = config.raw.logging;
  const logger = createLogger({
    level: logging.level,
    format: logging.format,
    ...(logging.file ? { file: join(config.dataDir, 'logs', 'vigil.log') } : {}),
  });
  logger.info({ version: VERSION, mode, config: config.file ?? '(built-in defaults)', data: config.dataDir }, mode === 'agent' ? 'starting vigil agent' : 'starting vigil');
  for (const d of config.defaulted) logger.info(`default ${d}`);

  let vigil: { url: string; reload(next: VigilConfig): Promise<void>; stop(): Promise<void> };
  try {
    // Imported here, not at the top: an agent must not load the store, LogQL and the API server.
    vigil = mode === 'agent'
      ? await (await import('./agent.js')).startAgent(config, logger)
      : await (await import('./run.js')).startVigil(config, logger);
  } catch (e) {
    logger.fatal({ error: errorMessage(e) }, 'cannot start');
    process.stderr.write(`vigil: ${errorMessage(e)}\n`);
    logger.flush();
    return 1;
  }
  await describeSources(config, logger);
  if (mode === 'agent') logger.info({ url: vigil.url }, `agent running; readiness at ${vigil.url}/ready, metrics at ${vigil.url}/metrics`);
  else logger.info({ url: vigil.url }, `API ready at ${vigil.url} (Loki API: ${vigil.url}/loki/api/v1, Prometheus API: ${vigil.url}/api/v1, metrics: ${vigil.url}/metrics); query with: vigil query '{job="varlog"}'`);

  let reloading = false;
  process.on('SIGHUP', () => {
    if (reloading) return;
    reloading = true;
    void (async () => {
      try {
        if (!o.config) {
          logger.warn('SIGHUP: no config file to reload (running with built-in defaults)');
          return;
        }
        const next = load(o.config, o.listen, mode);
        if (JSON.stringify(next.raw.server) !== JSON.stringify(config.raw.server) || JSON.stringify(next.raw.storage) !== JSON.stringify(config.raw.storage)) {
          logger.warn('SIGHUP: server and storage settings take effect only after a restart; applying sources and sinks now');
        }
        await vigil.reload(next);
        logger.info({ config: o.config }, 'configuration reloaded');
      } catch (e) {
        if (e instanceof ConfigError) logger.error({ error: e.message }, 'SIGHUP: the new configuration is invalid; keeping the running one');
        else logger.error({ error: errorMessage(e) }, 'SIGHUP: reload failed; keeping the running configuration');
      } finally {
        reloading = false;
      }
    })();
  });

  await new Promise<void>((resolve) => {
    let count = 0;
    const onSignal = (sig: string) => {
      count++;
      if (count > 1) {
        logger.warn('second signal: exiting now');
        process.exit(130);
      }
      logger.info({ signal: sig }, 'stopping');
      void vigil.stop().then(resolve, (e: unknown) => {
        logger.error({ error: errorMessage(e) }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  logger.info('stopped');
  logger.flush();
  return 0;
}
