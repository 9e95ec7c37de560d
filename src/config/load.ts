/**
 * Loads `vigil.yaml`: YAML → env interpolation → root schema → each component against its own
 * schema from the registry → topology checks. Every problem is collected and reported at once,
 * each with its path and `file:line:column`. Nothing is clamped or fixed silently.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Static, TObject } from '@sinclair/typebox';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ComponentDefinition, ComponentKind } from '../components/contract.js';
import { lookup, typesOf } from '../components/registry.js';
import { DeliveryKeys, resolveDelivery, type DeliveryConfig, type RawDelivery } from '../pipeline/delivery-config.js';
import { compileCondition } from '../pipeline/transforms/filter/index.js';
import { resolveMonitors, type MonitorConfig } from '../monitor/config.js';
import { lookupProbe, probeTypes } from '../monitor/probes/index.js';
import { resolveScrapeConfigs, type ResolvedScrapeConfig } from '../scrape/config.js';
import { resolveRemoteWriteConfigs, type ResolvedRemoteWriteConfig } from '../metrics/remote-write/config.js';
import { parseDuration } from '../core/time.js';
import { VigilError } from '../core/errors.js';
import { interpolate, type InterpolationError } from './interpolate.js';
import { RootSchema, type RootConfigRaw } from './schema.js';
import { formatIssues, validateAgainst, type ConfigIssue } from './validate.js';

export type Mode = 'run' | 'agent';

export interface ResolvedComponent {
  id: string;
  kind: ComponentKind;
  type: string;
  def: ComponentDefinition;
  config: Static<TObject>;
}

export interface ResolvedSource extends ResolvedComponent {
  kind: 'source';
  stages: ResolvedComponent[];
}

export interface ResolvedSink extends ResolvedComponent {
  kind: 'sink';
  inputs: string[];
  /** Buffer, batching, parallel requests and routing condition (resolved with the type's default buffer). */
  delivery: DeliveryConfig;
}

/** A validated configuration, ready to build. */
export interface VigilConfig {
  raw: RootConfigRaw;
  /** Absolute data directory. */
  dataDir: string;
  sources: ResolvedSource[];
  sinks: ResolvedSink[];
  /** Probes and heartbeats (`monitors:`), validated against their type's schema. */
  monitors: MonitorConfig[];
  /** Prometheus-style scrape jobs with `global` defaults applied. */
  scrape: ResolvedScrapeConfig[];
  /** `remote_write:` destinations (Prometheus syntax), defaults applied. */
  remoteWrite: ResolvedRemoteWriteConfig[];
  /** The file it came from, if any. */
  file: string | undefined;
  /** Defaults that were filled in (for `vigil run` to say what it is doing). */
  defaulted: string[];
}

export interface LoadOptions {
  mode: Mode;
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths (the process cwd). */
  cwd: string;
  file?: string;
  /** `--listen` from the command line; overrides `server.listen`. */
  listen?: string;
}

/** Thrown by the loaders; `issues` holds every problem, `message` all of them formatted. */
export class ConfigError extends VigilError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], file?: string) {
    super('CONFIG_INVALID', `${file ? `${file}: ` : ''}${issues.length} problem${issues.length === 1 ? '' : 's'} in the configuration:\n${formatIssues(issues)}`);
    this.name = 'VigilError';
    this.issues = issues;
  }
}

/** Position of a path in the YAML: the key for `unknown key`, else the offending value (or the nearest existing parent). */
function locate(doc: Document, lc: LineCounter, path: ReadonlyArray<string | number>, file: string, pointAtKey: boolean): string | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = doc.contents ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as { value?: unknown } | null;
        return k !== null && typeof k === 'object' && String(k.value) === String(seg);
      });
      if (!pair) break;
      node = pair.value;
      best = last && !pointAtKey && node ? (node as Node) : ((pair.key as Node) ?? best);
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      node = item;
      best = item as Node;
    } else break;
  }
  const range = best?.range;
  if (!range) return undefined;
  const pos = lc.linePos(range[0]);
  return `${file}:${pos.line}:${pos.col}`;
}

function defaultSources(dataDir: string): Record<string, Record<string, unknown>> {
  return {
    varlog: {
      type: 'file',
      include: ['/var/log/**/*.log'],
      start_at: 'beginning',
      labels: { job: 'varlog' },
    },
    self: {
      type: 'file',
      include: [join(dataDir, 'logs', 'vigil.log')],
      start_at: 'beginning',
      labels: { job: 'vigil', service: 'vigil' },
      // Only the time and level are taken from Vigil's JSON lines: extracting every key as structured
      // metadata would store each line twice and make every entry a stream of its own in results.
      pipeline: [{ type: 'timestamp', expression: '"time":(?<ts>\\d{13})', format: 'unix_ms' }, { type: 'level' }],
    },
  };
}

function resolveComponent(kind: ComponentKind, id: string, entry: Record<string, unknown>, path: Array<string | number>, issues: ConfigIssue[], strip: string[]): ResolvedComponent | undefined {
  const type = entry['type'];
  if (typeof type !== 'string') return undefined; // reported by the root schema
  const def = lookup(kind, type);
  if (!def) {
    issues.push({ path: [...path, 'type'], message: `unknown ${kind} type ${JSON.stringify(type)}; known: ${typesOf(kind).join(', ') || '(none)'}` });
    return undefined;
  }
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (k !== 'type' && !strip.includes(k)) body[k] = v;
  const found = validateAgainst(def.schema, body, path);
  if (found.length > 0) {
    issues.push(...found);
    return undefined;
  }
  return { id, kind, type, def, config: body as Static<TObject> };
}

/** Validates a parsed (and interpolated) config object. Throws ConfigError with every issue. */
export function resolveConfig(value: unknown, opts: LoadOptions, locator?: (path: ReadonlyArray<string | number>, pointAtKey: boolean) => string | undefined): VigilConfig {
  const issues: ConfigIssue[] = [];
  const defaulted: string[] = [];
  const rawValue = value === null || value === undefined ? {} : value;
  if (opts.listen !== undefined && typeof rawValue === 'object' && !Array.isArray(rawValue)) {
    const r = rawValue as Record<string, unknown>;
    const server = typeof r['server'] === 'object' && r['server'] !== null ? (r['server'] as Record<string, unknown>) : {};
    r['server'] = { ...server, listen: opts.listen };
  }
  issues.push(...validateAgainst(RootSchema, rawValue));
  // API tokens may also come from the environment (one or more, comma-separated), e.g. from a secret.
  const envTokens = (opts.env['VIGIL_AUTH_TOKENS'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of envTokens) {
    if (t.length < 16) issues.push({ path: ['env', 'VIGIL_AUTH_TOKENS'], message: 'each token must be at least 16 characters' });
  }
  // Keep going after root errors so components are checked too: every problem in one pass.
  const raw = rawValue as RootConfigRaw;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) finish(issues, opts.file, locator);
  const storagePath = isObj(raw.storage) && typeof raw.storage.path === 'string' ? raw.storage.path : './vigil-data';
  const dataDir = isAbsolute(storagePath) ? storagePath : resolve(opts.cwd, storagePath);
  if (envTokens.length > 0 && isObj(raw.server) && isObj(raw.server.auth) && Array.isArray(raw.server.auth.tokens)) {
    raw.server.auth.tokens.push(...envTokens.filter((t) => t.length >= 16));
  }
  const entriesOf = (v: unknown): Record<string, Record<string, unknown>> => {
    if (!isObj(v)) return {};
    const out: Record<string, Record<string, unknown>> = {};
    for (const [k, e] of Object.entries(v)) if (isObj(e)) out[k] = e;
    return out;
  };

  let sourceEntries = entriesOf(raw.sources);
  if (raw.sources === undefined) {
    sourceEntries = defaultSources(dataDir);
    defaulted.push('sources: this host\'s /var/log/**/*.log (`varlog`) and Vigil\'s own log (`self`)');
  }
  const sources: ResolvedSource[] = [];
  for (const [id, entry] of Object.entries(sourceEntries)) {
    const path = ['sources', id];
    const base = resolveComponent('source', id, entry, path, issues, ['pipeline']);
    const stages: ResolvedComponent[] = [];
    const pipeline = Array.isArray(entry['pipeline']) ? (entry['pipeline'] as unknown[]) : [];
    pipeline.forEach((stage, i) => {
      if (!isObj(stage)) return; // reported by the root schema
      const r = resolveComponent('transform', `${id}.pipeline[${i}]`, stage, [...path, 'pipeline', i], issues, []);
      if (r) stages.push(r);
    });
    if (base) sources.push({ ...base, kind: 'source', stages });
  }

  let sinkEntries = entriesOf(raw.sinks);
  if (raw.sinks === undefined && opts.mode === 'run') {
    sinkEntries = { store: { type: 'store' } };
    defaulted.push('sinks: the embedded store (`store`) takes every source');
  }
  const sinks: ResolvedSink[] = [];
  const sourceIds = new Set(Object.keys(sourceEntries));
  for (const [id, entry] of Object.entries(sinkEntries)) {
    const path = ['sinks', id];
    const declared = Array.isArray(entry['inputs']) ? (entry['inputs'] as unknown[]) : undefined;
    const inputs = declared ? declared.filter((x): x is string => typeof x === 'string') : [...sourceIds];
    declared?.forEach((input, i) => {
      if (typeof input === 'string' && !sourceIds.has(input)) {
        issues.push({ path: [...path, 'inputs', i], message: `no source with id ${JSON.stringify(input)}; sources: ${[...sourceIds].join(', ') || '(none)'}` });
      }
    });
    const base = resolveComponent('sink', id, entry, path, issues, [...DeliveryKeys]);
    if (typeof entry['condition'] === 'string') {
      try {
        compileCondition(entry['condition']);
      } catch (e) {
        issues.push({ path: [...path, 'condition'], message: (e as Error).message.replace(/^condition: /, '') });
      }
    }
    if (base) {
      const def = base.def.kind === 'sink' ? base.def : undefined;
      sinks.push({ ...base, kind: 'sink', inputs, delivery: resolveDelivery(entry as RawDelivery, def?.defaultBuffer ?? 'memory', def?.defaultConcurrency ?? 1) });
    }
  }
  for (const id of sourceIds) {
    if (!sinks.some((s) => s.inputs.includes(id)) && issues.length === 0) {
      issues.push({ path: ['sources', id], message: 'no sink takes from this source (add it to a sink\'s `inputs`)' });
    }
  }
  const mon = resolveMonitors(raw.monitors, lookupProbe, probeTypes);
  issues.push(...mon.issues);
  // resolveScrapeConfigs checks its schema itself; skip it when the root check already complained there.
  let scrape: ResolvedScrapeConfig[] = [];
  if (!issues.some((i) => i.path[0] === 'scrape_configs' || i.path[0] === 'global')) {
    const ms = (d: string | undefined) => (d === undefined ? undefined : (parseDuration(d) ?? 0) / 1000);
    const sc = resolveScrapeConfigs(raw.scrape_configs ?? [], {
      scrapeIntervalMs: ms(raw.global?.scrape_interval) ?? 60_000,
      scrapeTimeoutMs: ms(raw.global?.scrape_timeout) ?? 10_000,
    });
    issues.push(...sc.issues);
    scrape = sc.configs;
  }
  let remoteWrite: ResolvedRemoteWriteConfig[] = [];
  if (!issues.some((i) => i.path[0] === 'remote_write')) {
    const rw = resolveRemoteWriteConfigs(raw.remote_write);
    issues.push(...rw.issues);
    remoteWrite = rw.configs;
  }
  if (issues.length > 0) finish(issues, opts.file, locator);
  return { raw, dataDir, sources, sinks, monitors: mon.monitors, scrape, remoteWrite, file: opts.file, defaulted };
}

function finish(issues: ConfigIssue[], file: string | undefined, locator?: (path: ReadonlyArray<string | number>, pointAtKey: boolean) => string | undefined): never {
  if (locator) for (const i of issues) i.location = locator(i.path, i.message === 'unknown key');
  throw new ConfigError(issues, file);
}

/** Parses and validates YAML text. Throws ConfigError listing every problem with file:line:column. */
export function loadConfigText(text: string, opts: LoadOptions): VigilConfig {
  const file = opts.file ?? 'vigil.yaml';
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: [], message: `YAML: ${e.message.split('\n')[0]}`, location: pos ? `${file}:${pos.line}:${pos.col}` : file };
      }),
      opts.file,
    );
  }
  const locator = (path: ReadonlyArray<string | number>, pointAtKey: boolean) => locate(doc, lc, path, file, pointAtKey);
  const ierrors: InterpolationError[] = [];
  const value = interpolate(doc.toJS({ maxAliasCount: 100 }), opts.env, ierrors);
  if (ierrors.length > 0) finish(ierrors.map((e) => ({ path: e.path, message: e.message })), opts.file, locator);
  return resolveConfig(value, opts, locator);
}

/** Reads and validates a config file. */
export function loadConfigFile(path: string, opts: Omit<LoadOptions, 'file'>): VigilConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path: [], message: `cannot read config file: ${(e as Error).message}`, location: path }], path);
  }
  return loadConfigText(text, { ...opts, file: path });
}
