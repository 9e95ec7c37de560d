/**
 * The `monitors:` and `monitoring:` config sections. A monitor entry has common keys (type,
 * interval, timeout, retries, labels, enabled) owned by the scheduler; every other key belongs to
 * the probe type and is validated against that type's schema. `heartbeat` is built in: it has no
 * prober, a job pushes to it instead.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Labels } from '../core/labels.js';
import { parseDuration } from '../core/time.js';
import { Duration, LabelMap } from '../config/types.js';
import { validateAgainst, type ConfigIssue } from '../config/validate.js';
import type { ProbeDefinition } from './probe.js';

const MonitorName = '^[a-zA-Z_][a-zA-Z0-9_.-]*$';

/** Keys every monitor has, whatever its type. */
export const MonitorCommonSchema = Type.Object(
  {
    type: Type.String({ description: 'Probe type: http, tcp, dns, icmp, tls, command, process, or heartbeat (push).' }),
    interval: Duration({ default: '60s', description: 'How often the probe runs (heartbeat: how often a ping is expected).' }),
    timeout: Duration({ default: '10s', description: 'A run taking longer fails with `timeout after <t>`; must be shorter than `interval`.' }),
    retries: Type.Integer({ minimum: 0, default: 0, description: 'Consecutive failures tolerated (state PENDING) before the monitor is DOWN.' }),
    labels: Type.Optional(LabelMap('Extra labels on every sample of this monitor (e.g. team, env).')),
    enabled: Type.Boolean({ default: true, description: 'false keeps the monitor configured but PAUSED (not run).' }),
  },
  { additionalProperties: true },
);
const COMMON_KEYS = new Set(Object.keys(MonitorCommonSchema.properties));
const StrictCommonSchema = Type.Object(MonitorCommonSchema.properties, { additionalProperties: false });

/** The built-in push monitor's own options. */
export const HeartbeatSchema = Type.Object(
  {
    token: Type.String({ minLength: 16, description: 'Secret in the push URL `/api/vigil/v1/push/<token>`; at least 16 characters, unique per monitor.' }),
    grace: Duration({ default: '5m', description: 'Extra time after `interval` before a missing ping makes the monitor fail.' }),
  },
  { additionalProperties: false },
);

/**
 * Root-schema entry for `monitors:` (keyed by monitor name). It checks only that each entry is a
 * map with a `type`: resolveMonitors checks everything else, so no problem is reported twice.
 */
export const MonitorsSectionSchema = Type.Record(Type.String(), Type.Object({ type: MonitorCommonSchema.properties.type }, { additionalProperties: true }), {
  description: 'Monitors by name: probes the scheduler runs (http, tcp, dns, icmp, tls, command, process) and push heartbeats.',
});

/** Root-schema entry for `monitoring:` (settings of the monitor service itself). */
export const MonitoringSchema = Type.Object(
  {
    max_concurrency: Type.Integer({ minimum: 1, default: 64, description: 'Probes running at once across all monitors; further due runs wait in a queue.' }),
    history_retention: Duration({ default: '30d', description: 'How long per-run results and state transitions are kept in <storage.path>/monitors/history.db.' }),
  },
  { additionalProperties: false, default: {}, description: 'The monitor scheduler and its history.' },
);
export type MonitoringConfigRaw = Static<typeof MonitoringSchema>;

interface MonitorBase {
  name: string;
  type: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  labels: Labels;
  enabled: boolean;
}

/** A monitor run by a prober of its type. */
export interface ProbeMonitor extends MonitorBase {
  kind: 'probe';
  /** The type's options, valid against its schema (defaults applied). */
  options: Static<TObject>;
}

/** A push monitor: fails when no ping arrived for `intervalMs + graceMs`. */
export interface HeartbeatMonitor extends MonitorBase {
  kind: 'heartbeat';
  token: string;
  graceMs: number;
}

export type MonitorConfig = ProbeMonitor | HeartbeatMonitor;

/** Labels the monitor sets itself; a user label may not replace them. */
const RESERVED_LABELS = new Set(['__name__', 'monitor', 'type']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ms = (d: string): number => Math.round((parseDuration(d) ?? 0) / 1000);

/**
 * Validates the `monitors:` section entry by entry: common keys, then the type's own options
 * against its schema (from `lookupProbe`), then cross-field rules (timeout < interval, unique
 * heartbeat tokens) and finally a trial `build` so a type may refuse combinations its schema
 * cannot express. Returns the valid monitors and every issue with its path (`monitors.api.timeout`);
 * never throws. Called by the config loader (issues merge into its list) and by tests.
 */
export function resolveMonitors(
  raw: unknown,
  lookupProbe: (type: string) => ProbeDefinition | undefined,
  knownTypes: () => string[] = () => [],
  base: Array<string | number> = ['monitors'],
): { monitors: MonitorConfig[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const monitors: MonitorConfig[] = [];
  if (raw === undefined || raw === null) return { monitors, issues };
  if (!isObj(raw)) return { monitors, issues: [{ path: base, message: 'must be a map of monitor name to monitor' }] };
  const tokens = new Map<string, string>();
  for (const [name, entry] of Object.entries(raw)) {
    const path = [...base, name];
    if (!new RegExp(MonitorName).test(name)) {
      issues.push({ path, message: `monitor name must match ${MonitorName}` });
      continue;
    }
    if (!isObj(entry)) {
      issues.push({ path, message: 'must be a map' });
      continue;
    }
    const common: Record<string, unknown> = {};
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) (COMMON_KEYS.has(k) ? common : own)[k] = v;
    const found = validateAgainst(StrictCommonSchema, common, path);
    if (found.length > 0) {
      issues.push(...found);
      continue;
    }
    const c = common as Static<typeof MonitorCommonSchema>;
    const intervalMs = ms(c.interval);
    const timeoutMs = ms(c.timeout);
    const labels = c.labels ?? {};
    let bad = false;
    for (const k of Object.keys(labels)) {
      if (RESERVED_LABELS.has(k)) {
        issues.push({ path: [...path, 'labels', k], message: `label ${JSON.stringify(k)} is set by the monitor itself` });
        bad = true;
      }
    }
    if (intervalMs <= 0) {
      issues.push({ path: [...path, 'interval'], message: 'must be > 0' });
      bad = true;
    }
    const b = { name, type: c.type, intervalMs, timeoutMs, retries: c.retries, labels, enabled: c.enabled };
    if (c.type === 'heartbeat') {
      const f = validateAgainst(HeartbeatSchema, own, path);
      if (f.length > 0 || bad) {
        issues.push(...f);
        continue;
      }
      const h = own as Static<typeof HeartbeatSchema>;
      const other = tokens.get(h.token);
      if (other !== undefined) {
        issues.push({ path: [...path, 'token'], message: `same token as monitor ${JSON.stringify(other)}; each heartbeat needs its own` });
        continue;
      }
      tokens.set(h.token, name);
      monitors.push({ ...b, kind: 'heartbeat', token: h.token, graceMs: ms(h.grace) });
      continue;
    }
    if (timeoutMs <= 0 || timeoutMs >= intervalMs) {
      issues.push({ path: [...path, 'timeout'], message: `must be > 0 and shorter than interval (${c.interval})` });
      bad = true;
    }
    const def = lookupProbe(c.type);
    if (!def) {
      const known = [...knownTypes(), 'heartbeat'].sort();
      issues.push({ path: [...path, 'type'], message: `unknown monitor type ${JSON.stringify(c.type)}; known: ${known.join(', ')}` });
      continue;
    }
    const f = validateAgainst(def.schema, own, path);
    if (f.length > 0) {
      issues.push(...f);
      continue;
    }
    if (bad) continue;
    const refusal = trialBuild(def, own, name);
    if (refusal !== undefined) {
      issues.push({ path, message: refusal });
      continue;
    }
    monitors.push({ ...b, kind: 'probe', options: own as Static<TObject> });
  }
  return { monitors, issues };
}

/** Builds and drops a prober; builds do no I/O, so this only surfaces option combinations the type refuses. */
function trialBuild(def: ProbeDefinition, options: Record<string, unknown>, name: string): string | undefined {
  try {
    const p = def.build(options as Static<TObject>, { name, logger: silentLogger });
    void p.close?.().catch(() => undefined);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const noop = (): void => undefined;
// A pino-shaped logger that drops everything: trial builds must not log.
const silentLogger = {
  level: 'silent', fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop,
  child: () => silentLogger,
} as unknown as import('pino').Logger;

/** Milliseconds of a validated duration text (exported for the service's `monitoring:` settings). */
export function durationMs(d: string): number {
  return ms(d);
}
