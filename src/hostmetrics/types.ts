/**
 * The shapes host metric collectors produce: Prometheus metric families (name, help, type,
 * samples), the same model node_exporter's collectors hand to client_golang.
 */
import type { Labels } from '../core/labels.js';

export type MetricType = 'counter' | 'gauge' | 'untyped';

export interface MetricSample {
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

/**
 * What a collector may use during one collection. File reads are memoised for the collection,
 * so collectors sharing a file (cpu and stat both read /proc/stat) read it once.
 */
export interface CollectContext {
  /** Reads `<root>/proc/<rel>` as latin1 text (the kernel writes ASCII); throws ENOENT etc. as is. */
  proc(rel: string): Promise<string>;
  /** Reads `<root>/sys/<rel>` likewise. */
  sys(rel: string): Promise<string>;
  /** Lists `<root>/sys/<rel>`; throws when it is absent. */
  sysDir(rel: string): Promise<string[]>;
  /** Reads `<root>/<abs>` (for /etc/os-release and the like). */
  rootFile(abs: string): Promise<string>;
  /** `statfs` of a mount point (prefixed by the root path); injectable for tests. */
  statfs(mountPoint: string): Promise<StatfsResult>;
  /** Wall-clock milliseconds at the start of the collection. */
  nowMs: number;
}

/** The statfs fields node_exporter reads (Bsize, Blocks, Bfree, Bavail, Files, Ffree). */
export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/**
 * One node_exporter collector (`cpu`, `meminfo`, ...). `collect` rejects when its data cannot be
 * read or parsed; HostMetrics then reports `node_scrape_collector_success{collector}` 0 and keeps
 * the other collectors' results. `NoDataError` means "not applicable here" (no /proc/pressure):
 * success stays 1 as in node_exporter's ErrNoData.
 */
export interface Collector {
  readonly name: string;
  collect(ctx: CollectContext): Promise<MetricFamily[]>;
}

/** A collector has nothing to report on this host (node_exporter's ErrNoData). */
export class NoDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoDataError';
  }
}

/** Builds a family in one expression. */
export function family(name: string, type: MetricType, help: string, samples: MetricSample[] = []): MetricFamily {
  return { name, help, type, samples };
}

/**
 * Splits on runs of spaces and tabs without a regex (the hot part of every /proc parser).
 */
export function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/** A decimal field as a number; throws a message naming the file, line and field on garbage. */
export function num(text: string | undefined, file: string, lineNo: number, what: string): number {
  if (text === undefined || text === '') throw new Error(`${file}:${lineNo}: missing ${what}`);
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`${file}:${lineNo}: ${what} is not a number: ${JSON.stringify(text.slice(0, 40))}`);
  return v;
}

/** Lines of a file without the trailing empty one. */
export function lines(text: string): string[] {
  const ls = text.split('\n');
  if (ls.length > 0 && ls[ls.length - 1] === '') ls.pop();
  return ls;
}
