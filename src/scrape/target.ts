/**
 * A discovered target's labels as Prometheus derives them (scrape/target.go populateLabels): job,
 * interval, timeout, path, scheme and params as `__*__` labels, relabel_configs, a default port,
 * `__meta_*` removed, `instance` defaulting to the address.
 */
import type { Labels } from '../core/labels.js';
import { parseDuration } from '../core/time.js';
import { formatPromDuration, type ResolvedScrapeConfig } from './config.js';
import { relabel } from './relabel.js';

export interface TargetLabels {
  /** Labels before relabeling (the API's discoveredLabels). */
  discovered: Labels;
  /** All labels after relabeling, `__meta_*` removed; undefined when relabeling dropped the target. */
  labels?: Labels;
  /** Why the target cannot be scraped (no address, bad interval); it is then dropped. */
  error?: string;
}

/** Computes a target's labels from a group's labels and one target address. Never throws. */
export function populateLabels(cfg: ResolvedScrapeConfig, groupLabels: Labels, address: string): TargetLabels {
  const lset: Labels = { ...groupLabels, __address__: address };
  const defaults: Labels = {
    job: cfg.jobName,
    __scrape_interval__: formatPromDuration(cfg.intervalMs),
    __scrape_timeout__: formatPromDuration(cfg.timeoutMs),
    __metrics_path__: cfg.metricsPath,
    __scheme__: cfg.scheme,
  };
  for (const [k, v] of Object.entries(defaults)) if (!lset[k]) lset[k] = v;
  for (const [k, vs] of Object.entries(cfg.params)) {
    const name = `__param_${k}`;
    if (vs.length > 0 && !lset[name]) lset[name] = vs[0] as string;
  }
  for (const k of Object.keys(lset)) if (lset[k] === '') delete lset[k];
  const discovered = { ...lset };
  const lb = relabel(lset, cfg.relabel);
  if (!lb) return { discovered };
  let addr = lb.__address__ ?? '';
  if (addr === '') return { discovered, error: 'no address' };
  const scheme = lb.__scheme__ ?? '';
  if (!hasPort(addr)) {
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else return { discovered, error: `invalid scheme: ${JSON.stringify(scheme)}` };
    lb.__address__ = addr;
  }
  if (addr.includes('/')) return { discovered, error: `${JSON.stringify(addr)} is not a valid hostname` };
  const interval = parseDuration(lb.__scrape_interval__ ?? '');
  if (interval === undefined) return { discovered, error: `error parsing scrape interval: ${JSON.stringify(lb.__scrape_interval__ ?? '')}` };
  if (interval === 0) return { discovered, error: 'scrape interval cannot be 0' };
  const timeout = parseDuration(lb.__scrape_timeout__ ?? '');
  if (timeout === undefined) return { discovered, error: `error parsing scrape timeout: ${JSON.stringify(lb.__scrape_timeout__ ?? '')}` };
  if (timeout === 0) return { discovered, error: 'scrape timeout cannot be 0' };
  if (timeout > interval) return { discovered, error: `scrape timeout cannot be greater than scrape interval (${JSON.stringify(lb.__scrape_timeout__)} > ${JSON.stringify(lb.__scrape_interval__)})` };
  for (const k of Object.keys(lb)) if (k.startsWith('__meta_')) delete lb[k];
  if (!lb.instance) lb.instance = addr;
  return { discovered, labels: lb };
}

function hasPort(addr: string): boolean {
  if (addr.startsWith('[')) return /\]:\d+$/.test(addr);
  const c = addr.lastIndexOf(':');
  return c >= 0 && addr.indexOf(':') === c;
}

/** The labels attached to scraped samples: every label not starting with `__`. */
export function publicLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__')) out[k] = v;
  return out;
}

/** The scrape URL from `__scheme__`, `__address__`, `__metrics_path__` and `__param_*` labels. */
export function scrapeUrl(labels: Labels, cfgParams: Record<string, string[]>): string {
  const q = new URLSearchParams();
  const params: Record<string, string[]> = { ...cfgParams };
  for (const [k, v] of Object.entries(labels)) if (k.startsWith('__param_')) params[k.slice(8)] = [v, ...(cfgParams[k.slice(8)] ?? []).slice(1)];
  // Go's url.Values.Encode sorts by key.
  for (const k of Object.keys(params).sort()) for (const v of params[k] as string[]) q.append(k, v);
  const qs = q.toString();
  return `${labels.__scheme__ ?? 'http'}://${labels.__address__ ?? ''}${labels.__metrics_path__ ?? '/metrics'}${qs ? `?${qs}` : ''}`;
}

/** Intervals and timeouts of a target in ms (labels may have changed them). */
export function targetTimes(labels: Labels, cfg: ResolvedScrapeConfig): { intervalMs: number; timeoutMs: number } {
  const i = parseDuration(labels.__scrape_interval__ ?? '');
  const t = parseDuration(labels.__scrape_timeout__ ?? '');
  return { intervalMs: i !== undefined ? i / 1000 : cfg.intervalMs, timeoutMs: t !== undefined ? t / 1000 : cfg.timeoutMs };
}
