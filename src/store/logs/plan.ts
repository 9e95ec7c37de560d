/**
 * Query planning: which streams, which of their chunks (time range, then bloom filters against
 * the `|=` needles) and which in-memory blocks a select reads. Taken synchronously in one go, so
 * a chunk commit cannot make an entry show up twice (in memory and in a chunk).
 */
import type { LogSelect } from '../interfaces.js';
import { bloomMayContain } from './bloom.js';
import type { Catalog } from './catalog.js';
import { sortedView } from './head.js';
import type { CompiledFilters } from './line-filter.js';
import { refOf } from './maintenance.js';
import type { Source, StreamPlan } from './select.js';
import { memBlocks, type StreamSet } from './stream-set.js';

export interface SelectPlan {
  plans: StreamPlan[];
  /** Chunks left to read after bloom skipping. */
  chunkCount: number;
}

export function planSelect(
  q: LogSelect,
  compiled: CompiledFilters,
  ctx: { streams: StreamSet; catalog: Catalog; chunkDir: string; onBloomSkip(): void },
): SelectPlan {
  const plans: StreamPlan[] = [];
  let chunkCount = 0;
  for (const st of ctx.streams.match(q.tenant, q.matchers)) {
    const sources: Source[] = [];
    for (const m of ctx.catalog.chunksInRange(st.id, q.start, q.end)) {
      if (compiled.required.length > 0) {
        const bloom = ctx.catalog.bloom(m.id);
        if (bloom && !compiled.required.every((n) => bloomMayContain(bloom, n))) {
          ctx.onBloomSkip();
          continue;
        }
      }
      sources.push({ kind: 'chunk', minTs: m.minTs, maxTs: m.maxTs, meta: m, ref: refOf(ctx.chunkDir, m) });
      chunkCount++;
    }
    for (const b of memBlocks(st)) {
      const n = b.ts.length;
      if (n === 0 || b.minTs >= q.end || b.maxTs < q.start) continue;
      const v = sortedView(b, n, !(q.skipLines === true && compiled.empty));
      const mem: Source = { kind: 'mem', minTs: v.ts[0] as number, maxTs: v.ts[n - 1] as number, ts: v.ts, lines: v.lines };
      if (v.fields) mem.fields = v.fields;
      sources.push(mem);
    }
    if (sources.length === 0) continue;
    sources.sort((a, b) => a.minTs - b.minTs);
    plans.push({ labels: st.labels, key: st.key, sources });
  }
  return { plans, chunkCount };
}
