/**
 * The agent identity report: what an agent tells the server about itself (`POST
 * /api/vigil/v1/agents`). One schema for both ends: the `vigil` sink builds it, the server's
 * agents API validates it (src/server/agents/).
 */
import { hostname as osHostname, arch, platform, release } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { VERSION } from '../core/version.js';

const Str = (max: number, description: string) => Type.String({ maxLength: max, description });

export const AgentReportSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', description: 'Stable id of the agent (a UUID kept in its data dir).' }),
    hostname: Type.String({ minLength: 1, maxLength: 253, description: 'Host name.' }),
    version: Str(64, 'Vigil version of the agent.'),
    started_at: Type.String({ format: 'date-time', description: 'When the agent process started (RFC 3339).' }),
    os: Type.Object({ platform: Str(64, 'os.platform()'), release: Str(256, 'os.release()'), arch: Str(64, 'os.arch()') }),
    node: Str(64, 'Node.js version.'),
    sources: Type.Array(Type.Object({ id: Str(256, 'Source id.'), type: Str(64, 'Source type.'), summary: Type.Optional(Str(1024, 'What it reads, e.g. `/var/log/*.log`.')) }), { maxItems: 1000 }),
    sinks: Type.Array(Type.Object({ id: Str(256, 'Sink id.'), type: Str(64, 'Sink type.') }), { maxItems: 1000 }),
    labels: Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 1024 }), { maxProperties: 64 }),
    report_interval_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400, description: 'Seconds between reports; the server calls the agent stale after three missed ones.' })),
  },
  // A newer agent may send keys this server does not know; they are ignored, not refused.
  { additionalProperties: true },
);

export type AgentReport = Static<typeof AgentReportSchema>;

/** What the running process collects; the part of the report only the CLI wiring knows. */
export interface AgentDescription {
  sources: Array<{ id: string; type: string; summary?: string }>;
  sinks: Array<{ id: string; type: string }>;
  labels?: Record<string, string>;
}

let describeAgent: (() => AgentDescription) | undefined;

/**
 * Called once by the agent wiring (`vigil agent` / `vigil run`) with a function describing the
 * loaded config; the `vigil` sink calls it at each report. Until set, reports list no sources or
 * sinks. Stands in for a `ComponentContext.describe` field.
 */
export function setAgentDescription(fn: (() => AgentDescription) | undefined): void {
  describeAgent = fn;
}

/** The current description (empty lists when none was set, or when the provider throws). */
export function currentAgentDescription(): AgentDescription {
  try {
    return describeAgent?.() ?? { sources: [], sinks: [] };
  } catch {
    return { sources: [], sinks: [] };
  }
}

const processStartedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();

/** Builds this process's report; `labels` from the sink config win over the description's. */
export function buildAgentReport(id: string, o: { hostname?: string; labels?: Record<string, string>; reportIntervalS: number; description?: AgentDescription }): AgentReport {
  const d = o.description ?? currentAgentDescription();
  return {
    id,
    hostname: o.hostname ?? osHostname(),
    version: VERSION,
    started_at: processStartedAt,
    os: { platform: platform(), release: release(), arch: arch() },
    node: process.version,
    sources: d.sources,
    sinks: d.sinks,
    labels: { ...d.labels, ...o.labels },
    report_interval_s: o.reportIntervalS,
  };
}
