/**
 * Query execution over a plan built by the store: per stream, its chunks and in-memory blocks are
 * grouped into clusters of overlapping time ranges (out-of-order appends make chunks of one stream
 * overlap), each cluster decoded and merged, and clusters walked in direction order, lazily.
 * `order: 'time'` then merges the streams with a heap.
 */
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { SelectedEntries } from '../interfaces.js';
import type { ChunkMeta } from './catalog.js';
import { anyFields, type FieldsColumn } from './fields-codec.js';
import type { CompiledFilters } from './line-filter.js';
import type { ChunkRef, ScanResult, ScanSpec } from './scan.js';

export interface MemSource {
  kind: 'mem';
  minTs: Micros;
  maxTs: Micros;
  /** Sorted ascending snapshot. */
  ts: Micros[];
  lines: string[];
  /** Aligned with ts; absent when no entry has fields (or lines are skipped). */
  fields?: FieldsColumn;
}

export interface ChunkSource {
  kind: 'chunk';
  minTs: Micros;
  maxTs: Micros;
  meta: ChunkMeta;
  ref: ChunkRef;
}

export type Source = MemSource | ChunkSource;

export interface StreamPlan {
  labels: Labels;
  key: string;
  /** Sorted by minTs. */
  sources: Source[];
}

/** Decodes chunks for a query; answers undefined for a chunk that is corrupt or gone (already counted). */
export interface ChunkLoader {
  load(src: ChunkSource): Promise<ScanResult | undefined>;
  /** The chunk's entries in parts (each ascending), parts in `direction` order, decoded lazily. */
  iterate(src: ChunkSource, direction: 'forward' | 'backward'): AsyncIterable<ScanResult>;
  /** Hint: these will be loaded soon (a pool may start them now). */
  prefetch(srcs: ReadonlyArray<ChunkSource>): void;
}

function lowerBound(a: ReadonlyArray<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries of a sorted in-memory source within the range and passing the filters. */
export function scanMem(src: MemSource, spec: ScanSpec, compiled: CompiledFilters): ScanResult {
  const lo = lowerBound(src.ts, spec.start);
  const hi = lowerBound(src.ts, spec.end);
  const srcFields = src.fields && !spec.skipLines && anyFields(src.fields, lo, hi) ? src.fields : undefined;
  if (compiled.empty) {
    const r: ScanResult = { ts: src.ts.slice(lo, hi), lines: spec.skipLines ? new Array<string>(Math.max(0, hi - lo)).fill('') : src.lines.slice(lo, hi) };
    if (srcFields) r.fields = srcFields.slice(lo, hi);
    return r;
  }
  const ts: number[] = [];
  const lines: string[] = [];
  const fields: FieldsColumn | undefined = srcFields ? [] : undefined;
  for (let i = lo; i < hi; i++) {
    const l = src.lines[i] as string;
    if (compiled.test(l)) {
      ts.push(src.ts[i] as number);
      lines.push(l);
      if (fields) fields.push((srcFields as FieldsColumn)[i]);
    }
  }
  return fields && anyFields(fields) ? { ts, lines, fields } : { ts, lines };
}

/** Groups sources (sorted by minTs) into runs whose time ranges overlap. */
export function clusters(sources: ReadonlyArray<Source>): Source[][] {
  const out: Source[][] = [];
  let cur: Source[] = [];
  let curMax = -Infinity;
  for (const s of sources) {
    if (cur.length > 0 && s.minTs > curMax) {
      out.push(cur);
      cur = [];
      curMax = -Infinity;
    }
    cur.push(s);
    curMax = Math.max(curMax, s.maxTs);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function mergeSorted(parts: ScanResult[]): ScanResult {
  const nonEmpty = parts.filter((p) => p.ts.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? { ts: [], lines: [] };
  let total = 0;
  for (const p of nonEmpty) total += p.ts.length;
  const idx: Array<[number, number]> = new Array(total);
  let k = 0;
  for (let pi = 0; pi < nonEmpty.length; pi++) for (let i = 0; i < (nonEmpty[pi] as ScanResult).ts.length; i++) idx[k++] = [pi, i];
  // Stable: for equal ts, earlier sources (older chunks) first, keeping arrival order within each.
  idx.sort((a, b) => ((nonEmpty[a[0]] as ScanResult).ts[a[1]] as number) - ((nonEmpty[b[0]] as ScanResult).ts[b[1]] as number) || a[0] - b[0] || a[1] - b[1]);
  const ts = new Array<number>(total);
  const lines = new Array<string>(total);
  const fields = nonEmpty.some((p) => p.fields) ? new Array<Record<string, string> | undefined>(total) : undefined;
  for (let i = 0; i < total; i++) {
    const [pi, j] = idx[i] as [number, number];
    const p = nonEmpty[pi] as ScanResult;
    ts[i] = p.ts[j] as number;
    lines[i] = p.lines[j] as string;
    if (fields) fields[i] = p.fields?.[j];
  }
  return fields ? { ts, lines, fields } : { ts, lines };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('query aborted');
}

/** One stream's entries in direction order, one batch per cluster, lazily; empty batches skipped. */
export async function* streamBatches(
  plan: StreamPlan,
  direction: 'forward' | 'backward',
  spec: ScanSpec,
  compiled: CompiledFilters,
  loader: ChunkLoader,
  signal?: AbortSignal,
): AsyncGenerator<ScanResult> {
  const cl = clusters(plan.sources);
  if (direction === 'backward') cl.reverse();
  for (let c = 0; c < cl.length; c++) {
    checkAbort(signal);
    const cluster = cl[c] as Source[];
    const next = cl[c + 1];
    loader.prefetch(cluster.filter((s): s is ChunkSource => s.kind === 'chunk'));
    if (next) loader.prefetch(next.filter((s): s is ChunkSource => s.kind === 'chunk'));
    const only = cluster.length === 1 ? cluster[0] : undefined;
    if (only?.kind === 'chunk') {
      // The common case: no overlap, so the chunk's blocks stream out lazily in direction order.
      for await (const part of loader.iterate(only, direction)) {
        checkAbort(signal);
        if (direction === 'backward') {
          part.ts.reverse();
          part.lines.reverse();
          part.fields?.reverse();
        }
        yield part;
      }
      continue;
    }
    const parts: ScanResult[] = [];
    for (const s of cluster) {
      const r = s.kind === 'mem' ? scanMem(s, spec, compiled) : await loader.load(s);
      if (r) parts.push(r);
    }
    const merged = mergeSorted(parts);
    if (merged.ts.length === 0) continue;
    if (direction === 'backward') {
      merged.ts.reverse();
      merged.lines.reverse();
      merged.fields?.reverse();
    }
    yield merged;
  }
}

/** `order: 'stream'`: each stream's batches in turn. */
export async function* byStream(
  plans: ReadonlyArray<StreamPlan>,
  direction: 'forward' | 'backward',
  spec: ScanSpec,
  compiled: CompiledFilters,
  loader: ChunkLoader,
  signal?: AbortSignal,
): AsyncGenerator<SelectedEntries> {
  for (const p of plans) {
    for await (const b of streamBatches(p, direction, spec, compiled, loader, signal)) {
      const out: SelectedEntries = { labels: p.labels, key: p.key, ts: b.ts, lines: b.lines };
      if (b.fields) out.fields = b.fields;
      yield out;
    }
  }
}

interface Cursor {
  plan: StreamPlan;
  it: AsyncGenerator<ScanResult>;
  batch: ScanResult;
  pos: number;
}

/**
 * `order: 'time'`: a heap of per-stream cursors; each yield is the longest run of one stream that
 * precedes every other stream's next entry (ties: lower stream key first), so one stream alone
 * yields whole batches and a consumer that stops early decodes only what it read.
 */
export async function* byTime(
  plans: ReadonlyArray<StreamPlan>,
  direction: 'forward' | 'backward',
  spec: ScanSpec,
  compiled: CompiledFilters,
  loader: ChunkLoader,
  signal?: AbortSignal,
): AsyncGenerator<SelectedEntries> {
  const fwd = direction === 'forward';
  // before(a, b): entry (ta, ka) comes before (tb, kb) in output order.
  const before = (ta: number, ka: string, tb: number, kb: string) => (ta !== tb ? (fwd ? ta < tb : ta > tb) : ka < kb);
  const heap: Cursor[] = [];
  const less = (a: Cursor, b: Cursor) => before(a.batch.ts[a.pos] as number, a.plan.key, b.batch.ts[b.pos] as number, b.plan.key);
  const push = (c: Cursor) => {
    heap.push(c);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i] as Cursor, heap[p] as Cursor)) break;
      [heap[i], heap[p]] = [heap[p] as Cursor, heap[i] as Cursor];
      i = p;
    }
  };
  const pop = (): Cursor | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as Cursor, heap[m] as Cursor)) m = l;
        if (r < heap.length && less(heap[r] as Cursor, heap[m] as Cursor)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Cursor, heap[i] as Cursor];
        i = m;
      }
    }
    return top;
  };
  for (const plan of plans) {
    const it = streamBatches(plan, direction, spec, compiled, loader, signal);
    const first = await it.next();
    if (!first.done) push({ plan, it, batch: first.value, pos: 0 });
  }
  let current: Cursor | undefined;
  try {
    for (;;) {
      checkAbort(signal);
      const c = pop();
      current = c;
      if (!c) return;
      const other = heap[0];
      const n = c.batch.ts.length;
      let end = c.pos + 1;
      if (!other) end = n;
      else {
        const ot = other.batch.ts[other.pos] as number;
        while (end < n && before(c.batch.ts[end] as number, c.plan.key, ot, other.plan.key)) end++;
      }
      const whole = c.pos === 0 && end === n;
      const out: SelectedEntries = {
        labels: c.plan.labels,
        key: c.plan.key,
        ts: whole ? c.batch.ts : c.batch.ts.slice(c.pos, end),
        lines: whole ? c.batch.lines : c.batch.lines.slice(c.pos, end),
      };
      const f = c.batch.fields;
      if (f && (whole || anyFields(f, c.pos, end))) out.fields = whole ? f : f.slice(c.pos, end);
      yield out;
      c.pos = end;
      if (c.pos >= n) {
        const nx = await c.it.next();
        if (nx.done) continue;
        c.batch = nx.value;
        c.pos = 0;
      }
      push(c);
      current = undefined;
    }
  } finally {
    // Stopping early must close every stream's iterator (they hold open chunk files).
    if (current) await current.it.return(undefined);
    for (const c of heap) await c.it.return(undefined);
  }
}
