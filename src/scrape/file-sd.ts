/**
 * File-based service discovery (discovery/file): JSON or YAML files holding lists of
 * `{targets, labels}`, matched by globs, re-read when they change (fs.watch on their directories)
 * and every refresh_interval. A file that cannot be read or parsed keeps its previous targets and
 * the error is reported through `onError` (counted by the manager).
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import { parse as parseYaml } from 'yaml';
import type { Labels } from '../core/labels.js';
import type { TargetGroup } from './config.js';

export interface FileSdOptions {
  files: string[];
  refreshIntervalMs: number;
  /** Called with the whole current set of groups after each refresh that changed anything. */
  onUpdate(groups: TargetGroup[]): void;
  onError(file: string, message: string): void;
}

/** Parses one SD file's content; throws with a message naming the bad entry. */
export function parseFileSd(content: string, file: string): TargetGroup[] {
  const doc: unknown = file.endsWith('.json') ? JSON.parse(content) : parseYaml(content);
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error('expected a list of target groups');
  return doc.map((g: unknown, i) => {
    if (typeof g !== 'object' || g === null) throw new Error(`[${i}]: expected an object with targets and labels`);
    const { targets, labels, ...rest } = g as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new Error(`[${i}]: unknown key ${JSON.stringify(Object.keys(rest)[0])}`);
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) throw new Error(`[${i}].targets: expected a list of strings`);
    const l: Labels = {};
    if (labels !== undefined && labels !== null) {
      if (typeof labels !== 'object') throw new Error(`[${i}].labels: expected a map of strings`);
      for (const [k, v] of Object.entries(labels)) {
        if (typeof v !== 'string') throw new Error(`[${i}].labels.${k}: expected a string`);
        l[k] = v;
      }
    }
    l.__meta_filepath = file;
    return { targets: targets as string[], labels: l, source: `${file}:${i}` };
  });
}

/** One file_sd_configs entry, running. */
export class FileDiscovery {
  private readonly byFile = new Map<string, { content: string; groups: TargetGroup[] }>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: FileSdOptions) {}

  /** Reads every file once (synchronously) and starts watching. */
  start(): void {
    this.refresh();
    for (const dir of new Set(this.opts.files.map((f) => dirname(resolve(f))))) {
      try {
        const w = watch(dir, () => this.soon());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // A missing directory is fine: the periodic refresh picks files up once it exists.
      }
    }
    this.timer = setInterval(() => this.refresh(), this.opts.refreshIntervalMs);
    this.timer.unref();
  }

  private soon(): void {
    if (this.pending || this.stopped) return;
    // Editors write in several steps; read once they settle.
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh();
    }, 50);
  }

  /** Re-reads all matching files; calls onUpdate when the groups changed. */
  refresh(): void {
    if (this.stopped) return;
    const paths = new Set<string>();
    for (const pattern of this.opts.files) for (const p of globSync(pattern, { absolute: true, dot: true })) paths.add(p);
    let changed = false;
    for (const p of [...this.byFile.keys()]) {
      if (!paths.has(p)) {
        this.byFile.delete(p);
        changed = true;
      }
    }
    for (const p of [...paths].sort()) {
      let content: string;
      try {
        content = readFileSync(p, 'utf8');
      } catch (e) {
        this.opts.onError(p, (e as Error).message);
        continue;
      }
      if (this.byFile.get(p)?.content === content) continue;
      try {
        this.byFile.set(p, { content, groups: parseFileSd(content, p) });
        changed = true;
      } catch (e) {
        this.opts.onError(p, (e as Error).message);
      }
    }
    if (changed) this.opts.onUpdate(this.groups());
  }

  groups(): TargetGroup[] {
    return [...this.byFile.values()].flatMap((f) => f.groups);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
  }
}
