/**
 * The JSON of Prometheus's `/api/v1/targets` and `/api/v1/metadata` (web/api/v1/api.go) from a
 * ScrapeManager; the Prometheus API plugin wraps them in its success envelope.
 */
import { hostname } from 'node:os';
import { formatLabels, type Labels } from '../core/labels.js';
import { formatPromDuration } from './config.js';
import type { ScrapeManager } from './manager.js';
import type { MetricMetadata } from './parse.js';

export interface PromActiveTarget {
  discoveredLabels: Labels;
  labels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface PromTargetsData {
  activeTargets: PromActiveTarget[];
  droppedTargets: Array<{ discoveredLabels: Labels }>;
  droppedTargetCounts: Record<string, number>;
}

// Prometheus's globalURL: loopback hosts become this machine's name so the link works elsewhere.
function globalUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]') u.hostname = hostname();
    return u.toString();
  } catch {
    return url;
  }
}

function sortLabels(l: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(l).sort()) out[k] = l[k] as string;
  return out;
}

/**
 * `data` of `/api/v1/targets`, honouring its `state` (active | dropped | any, default any) and
 * `scrapePool` parameters. Never throws.
 */
export function targetsResponse(manager: ScrapeManager, params: { state?: string; scrapePool?: string } = {}): PromTargetsData {
  const state = (params.state ?? '').toLowerCase();
  const { active, dropped } = manager.targets();
  const inPool = (p: string): boolean => !params.scrapePool || p === params.scrapePool;
  const showActive = state === '' || state === 'any' || state === 'active';
  const showDropped = state === '' || state === 'any' || state === 'dropped';
  const counts: Record<string, number> = {};
  for (const d of dropped) counts[d.scrapePool] = (counts[d.scrapePool] ?? 0) + 1;
  return {
    activeTargets: showActive
      ? active.filter((t) => inPool(t.scrapePool)).map((t) => ({
          discoveredLabels: sortLabels(t.discoveredLabels),
          labels: sortLabels(t.labels),
          scrapePool: t.scrapePool,
          scrapeUrl: t.scrapeUrl,
          globalUrl: globalUrl(t.scrapeUrl),
          lastError: t.lastError,
          lastScrape: t.lastScrapeMs > 0 ? new Date(t.lastScrapeMs).toISOString() : '0001-01-01T00:00:00Z',
          lastScrapeDuration: t.lastScrapeDurationSeconds,
          health: t.health,
          scrapeInterval: formatPromDuration(t.scrapeIntervalMs),
          scrapeTimeout: formatPromDuration(t.scrapeTimeoutMs),
        })).sort((a, b) => (a.scrapePool === b.scrapePool ? (formatLabels(a.labels) < formatLabels(b.labels) ? -1 : 1) : a.scrapePool < b.scrapePool ? -1 : 1))
      : [],
    droppedTargets: showDropped ? dropped.filter((d) => inPool(d.scrapePool)).map((d) => ({ discoveredLabels: sortLabels(d.discoveredLabels) })) : [],
    droppedTargetCounts: counts,
  };
}

/**
 * `data` of `/api/v1/metadata`: metric → [{type, help, unit}], with its `metric`, `limit` and
 * `limit_per_metric` parameters (negative or absent: no limit).
 */
export function metadataResponse(manager: ScrapeManager, params: { metric?: string; limit?: number; limitPerMetric?: number } = {}): Record<string, MetricMetadata[]> {
  const out: Record<string, MetricMetadata[]> = {};
  let n = 0;
  const md = manager.metadata();
  for (const name of [...md.keys()].sort()) {
    if (params.metric && name !== params.metric) continue;
    if (params.limit !== undefined && params.limit >= 0 && n >= params.limit) break;
    let list = md.get(name) ?? [];
    if (params.limitPerMetric !== undefined && params.limitPerMetric > 0) list = list.slice(0, params.limitPerMetric);
    out[name] = list.map((m) => ({ type: m.type, help: m.help, unit: m.unit }));
    n++;
  }
  return out;
}
