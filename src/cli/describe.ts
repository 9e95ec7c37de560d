/** What a loaded config collects and where it sends it, in words: for agent reports and startup output. */
import type { AgentDescription } from '../agent-identity/report.js';
import type { VigilConfig } from '../config/load.js';

function summary(type: string, c: Record<string, unknown>): string | undefined {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(', ') : typeof v === 'string' ? v : undefined);
  if (type === 'file') return list(c['include']);
  if (typeof c['listen'] === 'string') return `${c['protocol'] ?? type} on ${c['listen']}`;
  if (type === 'journald') return list(c['units']) ?? 'journal';
  if (type === 'exec') return list(c['command']);
  return undefined;
}

export function describeConfig(config: VigilConfig): AgentDescription {
  return {
    sources: config.sources.map((s) => {
      const sum = summary(s.type, s.config as Record<string, unknown>);
      return { id: s.id, type: s.type, ...(sum ? { summary: sum } : {}) };
    }),
    sinks: config.sinks.map((s) => ({ id: s.id, type: s.type })),
  };
}
