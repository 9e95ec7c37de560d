/** Building output streams: regrouping entries whose labels become equal, and picking kept entries. */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import { streamKey, type Labels } from '../../core/labels.js';

/**
 * Collects entries into output streams keyed by label set, keeping order within each stream.
 * `addStream` moves a whole input stream (no copy when it is the first with its labels).
 */
export class StreamMerger {
  private readonly groups = new Map<string, StreamBatch>();

  /** Adds all of `s` under `labels`. */
  addStream(labels: Labels, s: StreamBatch): void {
    const key = streamKey(labels);
    const g = this.groups.get(key);
    if (!g) {
      this.groups.set(key, labels === s.labels ? s : { ...s, labels });
      return;
    }
    for (let i = 0; i < s.lines.length; i++) this.push(g, s, i);
  }

  /** Adds entry `i` of `s` to the stream for `labels` (`key` is its streamKey, computed by the caller once per label set). */
  addEntry(key: string, labels: Labels, s: StreamBatch, i: number): void {
    let g = this.groups.get(key);
    if (!g) {
      g = { labels, ts: [], lines: [] };
      this.groups.set(key, g);
    }
    this.push(g, s, i);
  }

  private push(g: StreamBatch, s: StreamBatch, i: number): void {
    const f = s.fields?.[i];
    if (f && !g.fields) g.fields = new Array<Record<string, string> | undefined>(g.lines.length).fill(undefined);
    g.ts.push(s.ts[i] as number);
    g.lines.push(s.lines[i] as string);
    if (g.fields) g.fields.push(f);
  }

  finish(): LogBatch {
    return { streams: [...this.groups.values()] };
  }
}

/** A stream batch of the entries at `idx` of `s` (same labels). */
export function pick(s: StreamBatch, idx: ReadonlyArray<number>): StreamBatch {
  const r: StreamBatch = { labels: s.labels, ts: new Array<number>(idx.length), lines: new Array<string>(idx.length) };
  const f = s.fields;
  if (f) r.fields = new Array<Record<string, string> | undefined>(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k] as number;
    r.ts[k] = s.ts[i] as number;
    r.lines[k] = s.lines[i] as string;
    if (f) (r.fields as Array<Record<string, string> | undefined>)[k] = f[i];
  }
  return r;
}
