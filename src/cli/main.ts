/**
 * The `vigil` command line. Wiring only; the only place that exits the process.
 *
 * Each command's module is imported when that command runs, not here: `vigil agent` is a
 * long-running collector whose resident size is the product, and a static import of `run`
 * (store, LogQL, the API server) or `query` (ws) would keep all of that loaded in every agent.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VERSION } from '../core/version.js';
import { AGENT_SEMI_SPACE_MB, capYoungGeneration } from './young-generation.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('vigil').description('Keeps services highly available by watching them.').version(VERSION, '-v, --version');
  const defaultConfig = existsSync('vigil.yaml') ? 'vigil.yaml' : undefined;

  program
    .command('run')
    .description('Run everything on this machine: collect logs into the embedded store and serve the API (127.0.0.1:9470).')
    .option('-c, --config <file>', 'config file (default: ./vigil.yaml if present, else built-in defaults)', defaultConfig)
    .option('--listen <host:port>', 'address of the API and console (overrides server.listen); beyond loopback it needs tokens ($VIGIL_AUTH_TOKENS or server.auth.tokens)')
    .action(async (o: { config?: string; listen?: string }) => {
      const { runCommand } = await import('./run-command.js');
      process.exitCode = await runCommand(o);
    });

  program
    .command('agent')
    .description('Collect only: sources, transforms and sinks (no store, no query API); /ready and /metrics on 127.0.0.1:9471.')
    .option('-c, --config <file>', 'config file (default: ./vigil.yaml if present)', defaultConfig)
    .option('--listen <host:port>', 'address of /ready and /metrics (overrides server.listen); beyond loopback it needs tokens')
    .action(async (o: { config?: string; listen?: string }) => {
      // Before the agent's modules load: loading them is what first grows the young generation.
      capYoungGeneration(AGENT_SEMI_SPACE_MB);
      const { runCommand } = await import('./run-command.js');
      process.exitCode = await runCommand(o, 'agent');
    });

  program
    .command('check')
    .description('Validate a config file and print the component graph.')
    .option('-c, --config <file>', 'config file', defaultConfig)
    .option('--mode <mode>', 'run or agent', 'run')
    .action(async (o: { config?: string; mode: string }) => {
      const { checkCommand } = await import('./check.js');
      process.exitCode = checkCommand(o);
    });

  const buffer = program.command('buffer').description('Disk buffers of sinks.');
  buffer
    .command('inspect')
    .description('Show what disk buffers hold: batches, entries, bytes, time range, top streams, corrupt records (read-only).')
    .argument('<dir>', 'a data directory (all sinks), a sink directory, or a buffer directory')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (dir: string, o: { output?: string }) => {
      const { bufferInspectCommand } = await import('./buffer.js');
      process.exitCode = bufferInspectCommand(dir, o);
    });

  program
    .command('monitors')
    .description('Show the state of every monitor: state, since, latency, 24 h uptime, recent latencies, reason.')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--fail-on-down', 'exit with status 3 when a monitor is DOWN')
    .option('--server <url>', 'Vigil server', process.env['VIGIL_SERVER'] ?? 'http://127.0.0.1:9470')
    .option('--token <token>', 'API token (default: $VIGIL_TOKEN)', process.env['VIGIL_TOKEN'])
    .action(async (o: { output: 'table' | 'json'; failOnDown?: boolean; server: string; token?: string }) => {
      const { monitorsCommand } = await import('./monitors.js');
      process.exitCode = await monitorsCommand({ ...o, failOnDown: o.failOnDown ?? false });
    });

  program
    .command('query')
    .description('Run a LogQL query against a Vigil server.')
    .argument('<logql>', 'the query, e.g. \'{service="api"} |= "timeout"\'')
    .option('--since <duration>', 'look back this far from now', '1h')
    .option('--from <time>', 'start (RFC 3339, unix seconds or a duration ago like 2h)')
    .option('--to <time>', 'end (RFC 3339, unix seconds or a duration ago); default now')
    .option('--limit <n>', 'most log lines to return', '100')
    .option('--step <duration>', 'resolution step of metric queries')
    .option('--forward', 'oldest first (default: newest first)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['default', 'raw', 'json', 'table']).default('default'))
    .option('--instant', 'evaluate a metric query at one instant (--to) instead of over a range')
    .option('-t, --tail', 'follow new lines as they arrive')
    .option('--server <url>', 'Vigil server', process.env['VIGIL_SERVER'] ?? 'http://127.0.0.1:9470')
    .option('--token <token>', 'API token (default: $VIGIL_TOKEN)', process.env['VIGIL_TOKEN'])
    .option('--tenant <id>', 'tenant (X-Scope-OrgID)', process.env['VIGIL_TENANT'])
    .action(async (logql: string, o) => {
      const { queryCommand } = await import('./query.js');
      process.exitCode = await queryCommand(logql, o);
    });

  program
    .command('version')
    .description('Print the version.')
    .action(() => {
      process.stdout.write(`vigil ${VERSION} (node ${process.version})\n`);
    });

  await program.parseAsync(argv);
}
