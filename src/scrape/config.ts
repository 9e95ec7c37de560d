/**
 * `scrape_configs:` in Prometheus's own YAML syntax (config/config.go): same keys, same defaults,
 * same cross-field checks, every problem reported with its path.
 */
import { checkPromHttpClient, resolvePromHttpClient } from '../config/prom-http-client.js';
import { Type, type Static } from '@sinclair/typebox';
import { validateAgainst, type ConfigIssue } from '../config/validate.js';
import type { Labels } from '../core/labels.js';
import { parseDuration } from '../core/time.js';
import type { TlsOptions } from '../http/client.js';
import { compileRelabelConfigs, RelabelConfigSchema, type CompiledRelabel } from './relabel.js';

const Duration = (description: string) => Type.String({ format: 'prom-duration', description });

export const StaticConfigSchema = Type.Object(
  {
    targets: Type.Array(Type.String(), { description: 'host:port addresses to scrape.' }),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Labels added to every target of the group.' })),
  },
  { additionalProperties: false },
);

export const ScrapeConfigSchema = Type.Object(
  {
    job_name: Type.String({ minLength: 1, description: 'The job label of the targets; unique.' }),
    scrape_interval: Type.Optional(Duration('How often to scrape. Default the global 1m.')),
    scrape_timeout: Type.Optional(Duration('Per-scrape timeout, at most scrape_interval. Default 10s.')),
    metrics_path: Type.Optional(Type.String({ description: 'HTTP path. Default /metrics.' })),
    scheme: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')], { description: 'Default http.' })),
    params: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), { description: 'URL query parameters.' })),
    honor_labels: Type.Optional(Type.Boolean({ description: 'On conflicts keep the scraped labels (else they become exported_<name>). Default false.' })),
    honor_timestamps: Type.Optional(Type.Boolean({ description: 'Use timestamps the target exposes. Default true.' })),
    basic_auth: Type.Optional(Type.Object({
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      password_file: Type.Optional(Type.String()),
    }, { additionalProperties: false })),
    authorization: Type.Optional(Type.Object({
      type: Type.Optional(Type.String({ description: 'Default Bearer.' })),
      credentials: Type.Optional(Type.String()),
      credentials_file: Type.Optional(Type.String()),
    }, { additionalProperties: false })),
    bearer_token: Type.Optional(Type.String({ description: 'Deprecated: use authorization.' })),
    bearer_token_file: Type.Optional(Type.String({ description: 'Deprecated: use authorization.' })),
    tls_config: Type.Optional(Type.Object({
      ca_file: Type.Optional(Type.String()),
      cert_file: Type.Optional(Type.String()),
      key_file: Type.Optional(Type.String()),
      server_name: Type.Optional(Type.String()),
      insecure_skip_verify: Type.Optional(Type.Boolean()),
    }, { additionalProperties: false })),
    static_configs: Type.Optional(Type.Array(StaticConfigSchema)),
    file_sd_configs: Type.Optional(Type.Array(Type.Object({
      files: Type.Array(Type.String(), { minItems: 1, description: 'Paths or globs (in the last path element) of JSON/YAML target files.' }),
      refresh_interval: Type.Optional(Duration('Re-read interval besides change notifications. Default 5m.')),
    }, { additionalProperties: false }))),
    relabel_configs: Type.Optional(Type.Array(RelabelConfigSchema)),
    metric_relabel_configs: Type.Optional(Type.Array(RelabelConfigSchema)),
    sample_limit: Type.Optional(Type.Integer({ minimum: 0, description: 'More samples after metric relabeling fail the scrape. 0: no limit.' })),
    label_limit: Type.Optional(Type.Integer({ minimum: 0, description: 'More labels on a sample fail the scrape. 0: no limit.' })),
  },
  { additionalProperties: false },
);

/** The `scrape_configs:` list. */
export const ScrapeConfigsSchema = Type.Array(ScrapeConfigSchema);
export type ScrapeConfigInput = Static<typeof ScrapeConfigSchema>;

/** `global:`-like defaults (Prometheus: scrape_interval 1m, scrape_timeout 10s). */
export interface ScrapeDefaults {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
}
export const DEFAULT_SCRAPE_DEFAULTS: ScrapeDefaults = { scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000 };

/** A target group as static_configs and file SD produce it. */
export interface TargetGroup {
  targets: string[];
  labels: Labels;
  /** Where it came from (`static:0`, `file.json:1`): stable identity across refreshes. */
  source: string;
}

export interface ResolvedScrapeConfig {
  jobName: string;
  intervalMs: number;
  timeoutMs: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  tls?: TlsOptions;
  staticGroups: TargetGroup[];
  fileSd: Array<{ files: string[]; refreshIntervalMs: number }>;
  relabel: CompiledRelabel[];
  metricRelabel: CompiledRelabel[];
  sampleLimit: number;
  labelLimit: number;
}

/** Prometheus's model.Duration String(): `1m`, `1m30s`, `500ms`, `0s`. */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: Array<[string, number]> = [['y', 31_536_000_000], ['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let out = '';
  let rest = ms;
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}

const msOf = (d: string | undefined): number | undefined => {
  if (d === undefined) return undefined;
  const us = parseDuration(d);
  return us === undefined ? undefined : Math.round(us / 1000);
};

/**
 * Validates `raw` (a parsed `scrape_configs:` list) and resolves defaults. Returns the configs that
 * are valid and every issue with its path under `base`; callers refuse the whole config when
 * `issues` is not empty (a reload keeps the old one).
 */
export function resolveScrapeConfigs(raw: unknown, defaults: ScrapeDefaults = DEFAULT_SCRAPE_DEFAULTS, base: Array<string | number> = ['scrape_configs']): { configs: ResolvedScrapeConfig[]; issues: ConfigIssue[] } {
  const issues = validateAgainst(ScrapeConfigsSchema, raw, base);
  if (issues.length > 0) return { configs: [], issues };
  const list = raw as ScrapeConfigInput[];
  const configs: ResolvedScrapeConfig[] = [];
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const path = [...base, i];
    const before = issues.length;
    if (seen.has(c.job_name)) issues.push({ path: [...path, 'job_name'], message: `found multiple scrape configs with job name ${JSON.stringify(c.job_name)}` });
    seen.add(c.job_name);
    const intervalMs = msOf(c.scrape_interval) ?? defaults.scrapeIntervalMs;
    let timeoutMs = msOf(c.scrape_timeout);
    if (timeoutMs === undefined) timeoutMs = Math.min(defaults.scrapeTimeoutMs, intervalMs);
    if (intervalMs <= 0) issues.push({ path: [...path, 'scrape_interval'], message: 'must be > 0' });
    if (timeoutMs <= 0) issues.push({ path: [...path, 'scrape_timeout'], message: 'must be > 0' });
    if (timeoutMs > intervalMs) issues.push({ path: [...path, 'scrape_timeout'], message: `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(c.job_name)}` });
    checkPromHttpClient(c, path, issues);
    const fileSd = (c.file_sd_configs ?? []).map((f, j) => {
      f.files.forEach((file, k) => {
        // Prometheus allows globs only in the last path element, on .json/.yml/.yaml files.
        if (!/\.(json|ya?ml)$/.test(file)) issues.push({ path: [...path, 'file_sd_configs', j, 'files', k], message: `path name ${JSON.stringify(file)} is not valid for file discovery (must end in .json, .yml or .yaml)` });
      });
      return { files: f.files, refreshIntervalMs: msOf(f.refresh_interval) ?? 300_000 };
    });
    const relabel = compileRelabelConfigs(c.relabel_configs, [...path, 'relabel_configs'], issues);
    const metricRelabel = compileRelabelConfigs(c.metric_relabel_configs, [...path, 'metric_relabel_configs'], issues);
    if (issues.length > before) return;
    const r: ResolvedScrapeConfig = {
      jobName: c.job_name,
      intervalMs,
      timeoutMs,
      metricsPath: c.metrics_path ?? '/metrics',
      scheme: c.scheme ?? 'http',
      params: c.params ?? {},
      honorLabels: c.honor_labels ?? false,
      honorTimestamps: c.honor_timestamps ?? true,
      staticGroups: (c.static_configs ?? []).map((s, j) => ({ targets: s.targets, labels: s.labels ?? {}, source: String(j) })),
      fileSd,
      relabel,
      metricRelabel,
      sampleLimit: c.sample_limit ?? 0,
      labelLimit: c.label_limit ?? 0,
    };
    Object.assign(r, resolvePromHttpClient(c));
    configs.push(r);
  });
  return { configs, issues };
}
