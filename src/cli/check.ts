/**
 * `vigil check -c vigil.yaml`: validates the config (every problem at once, with file:line:column)
 * and prints the component graph. Exit 0 when valid, 2 when not.
 */
import { ConfigError, loadConfigFile, resolveConfig, type Mode, type VigilConfig } from '../config/load.js';
import { errorMessage } from '../core/errors.js';

/** The graph as text: one line per source → stages → sinks. */
export function formatGraph(config: VigilConfig): string {
  const lines: string[] = [];
  lines.push(`sources (${config.sources.length})`);
  for (const s of config.sources) {
    const include = (s.config as { include?: string[] }).include;
    lines.push(`  ${s.id}  [${s.type}]${include ? `  ${include.join(', ')}` : ''}`);
  }
  lines.push(`sinks (${config.sinks.length})`);
  for (const k of config.sinks) {
    const d = k.delivery;
    const how = `${d.buffer.type} buffer${d.request.concurrency === 1 ? '' : `, ${d.request.concurrency} requests`}${d.condition ? `, when ${d.condition}` : ''}`;
    lines.push(`  ${k.id}  [${k.type}]  ← ${k.inputs.join(', ') || '(nothing)'}  (${how})`);
  }
  if (config.monitors.length > 0) {
    lines.push(`monitors (${config.monitors.length})`);
    for (const m of config.monitors) lines.push(`  ${m.name}  [${m.type}]  every ${m.intervalMs / 1000}s`);
  }
  if (config.scrape.length > 0) {
    lines.push(`scrape jobs (${config.scrape.length})`);
    for (const j of config.scrape) lines.push(`  ${j.jobName}  every ${j.intervalMs / 1000}s`);
  }
  lines.push('graph');
  for (const s of config.sources) {
    const stages = s.stages.map((st) => st.type).join(' → ');
    const targets = config.sinks.filter((k) => k.inputs.includes(s.id)).map((k) => k.id);
    lines.push(`  ${s.id} ─▶ ${stages ? `${stages} ─▶ ` : ''}${targets.join(', ') || '(no sink)'}`);
  }
  return lines.join('\n');
}

export function checkCommand(o: { config?: string; mode: string }, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const mode: Mode = o.mode === 'agent' ? 'agent' : 'run';
  try {
    const opts = { mode, env: process.env, cwd: process.cwd() };
    const config = o.config ? loadConfigFile(o.config, opts) : resolveConfig({}, opts);
    out(`${o.config ?? '(built-in defaults)'}: valid\n${formatGraph(config)}\n`);
    for (const d of config.defaulted) out(`default ${d}\n`);
    return 0;
  } catch (e) {
    err(`${e instanceof ConfigError ? e.message : `vigil: ${errorMessage(e)}`}\n`);
    return 2;
  }
}
