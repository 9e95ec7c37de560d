/**
 * A small, correct in-memory LogQuerier for tests of the LogQL engine (and anything else that
 * needs a store without disk). Honours tenants, matchers, [start, end), line filters, and the
 * `time`/`stream` orders with both directions exactly as store/interfaces.ts specifies.
 */
import type { LogBatch } from '../../../core/events.js';
import { formatLabels, matchesAll, type LabelMatcher, type Labels } from '../../../core/labels.js';
import type { Micros } from '../../../core/time.js';
import type { LogQuerier, LogSelect, SelectedEntries, StreamInfo } from '../../../store/interfaces.js';
import { compileStoreLineFilter } from '../line-filter.js';

interface MemStream {
  labels: Labels;
  key: string;
  ts: Micros[];
  lines: string[];
  fields: Array<Record<string, string> | undefined>;
}

/** The fields of the picked entries, or nothing when none has any (as stores return them). */
function fieldsOf(s: MemStream, idx: number[]): Pick<SelectedEntries, 'fields'> {
  const f = idx.map((i) => s.fields[i]);
  return f.some((x) => x !== undefined) ? { fields: f } : {};
}

export class MemoryQuerier implements LogQuerier {
  private readonly tenants = new Map<string, Map<string, MemStream>>();
  /** Entries handed out by select (tests use it to check laziness and pushdown). */
  entriesYielded = 0;
  /** The last LogSelect seen (tests check pushdown and order). */
  lastSelect: LogSelect | undefined;
  /** Max entries per yielded batch. */
  constructor(private readonly batchSize = 64) {}

  /** Adds entries; each stream is kept sorted by time (stable for equal timestamps). */
  append(tenant: string, batch: LogBatch): void {
    let t = this.tenants.get(tenant);
    if (!t) this.tenants.set(tenant, (t = new Map()));
    for (const s of batch.streams) {
      const key = formatLabels(s.labels);
      let m = t.get(key);
      if (!m) t.set(key, (m = { labels: { ...s.labels }, key, ts: [], lines: [], fields: [] }));
      for (let i = 0; i < s.lines.length; i++) {
        m.ts.push(s.ts[i] as Micros);
        m.lines.push(s.lines[i] as string);
        m.fields.push(s.fields?.[i]);
      }
      const idx = m.ts.map((_, i) => i).sort((a, b) => (m.ts[a] as number) - (m.ts[b] as number) || a - b);
      m.ts = idx.map((i) => m.ts[i] as Micros);
      m.lines = idx.map((i) => m.lines[i] as string);
      m.fields = idx.map((i) => m.fields[i]);
    }
  }

  private streams(tenant: string, matchers: LabelMatcher[]): MemStream[] {
    return [...(this.tenants.get(tenant)?.values() ?? [])].filter((s) => matchesAll(s.labels, matchers)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async *select(q: LogSelect): AsyncIterable<SelectedEntries> {
    this.lastSelect = q;
    const filters = (q.lineFilters ?? []).map(compileStoreLineFilter);
    const fwd = q.direction === 'forward';
    // Per stream: the indexes in range that pass the filters, in direction order.
    const picked = this.streams(q.tenant, q.matchers).map((s) => {
      const idx: number[] = [];
      for (let i = 0; i < s.ts.length; i++) {
        const t = s.ts[i] as Micros;
        if (t < q.start || t >= q.end) continue;
        const line = s.lines[i] as string;
        if (filters.every((f) => f(line))) idx.push(i);
      }
      if (!fwd) idx.reverse();
      return { s, idx };
    });
    const check = (): void => {
      if (q.signal?.aborted) throw q.signal.reason ?? new Error('aborted');
    };
    if (q.order === 'stream') {
      for (const { s, idx } of picked) {
        for (let o = 0; o < idx.length; o += this.batchSize) {
          check();
          const part = idx.slice(o, o + this.batchSize);
          this.entriesYielded += part.length;
          yield { labels: s.labels, key: s.key, ts: part.map((i) => s.ts[i] as Micros), lines: part.map((i) => s.lines[i] as string), ...fieldsOf(s, part) };
        }
      }
      return;
    }
    // order 'time': a k-way merge; runs of one stream are yielded as one batch.
    const pos = picked.map(() => 0);
    let cur: SelectedEntries | undefined;
    for (;;) {
      let best = -1;
      for (let k = 0; k < picked.length; k++) {
        const p = picked[k] as { s: MemStream; idx: number[] };
        if ((pos[k] as number) >= p.idx.length) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const b = picked[best] as { s: MemStream; idx: number[] };
        const tk = p.s.ts[p.idx[pos[k] as number] as number] as number;
        const tb = b.s.ts[b.idx[pos[best] as number] as number] as number;
        if (fwd ? tk < tb : tk > tb) best = k; // ties keep the smaller stream key (earlier in `picked`)
      }
      if (best < 0) break;
      const p = picked[best] as { s: MemStream; idx: number[] };
      const i = p.idx[pos[best] as number] as number;
      pos[best] = (pos[best] as number) + 1;
      if (!cur || cur.key !== p.s.key || cur.ts.length >= this.batchSize) {
        if (cur) {
          check();
          this.entriesYielded += cur.ts.length;
          if (cur.fields?.every((x) => x === undefined)) delete cur.fields;
          yield cur;
        }
        cur = { labels: p.s.labels, key: p.s.key, ts: [], lines: [], fields: [] };
      }
      cur.ts.push(p.s.ts[i] as Micros);
      cur.lines.push(p.s.lines[i] as string);
      cur.fields?.push(p.s.fields[i]);
    }
    if (cur) {
      check();
      this.entriesYielded += cur.ts.length;
      if (cur.fields?.every((x) => x === undefined)) delete cur.fields;
      yield cur;
    }
  }

  async series(tenant: string, matcherSets: LabelMatcher[][], start: Micros, end: Micros): Promise<StreamInfo[]> {
    const all = [...(this.tenants.get(tenant)?.values() ?? [])];
    return all
      .filter((s) => (matcherSets.length === 0 || matcherSets.some((ms) => matchesAll(s.labels, ms))) && s.ts.some((t) => t >= start && t < end))
      .map((s) => ({ labels: s.labels, key: s.key }));
  }

  async labelNames(tenant: string, start: Micros, end: Micros, matchers: LabelMatcher[] = []): Promise<string[]> {
    const names = new Set<string>();
    for (const s of await this.series(tenant, [matchers], start, end)) for (const k of Object.keys(s.labels)) names.add(k);
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, start: Micros, end: Micros, matchers: LabelMatcher[] = []): Promise<string[]> {
    const vals = new Set<string>();
    for (const s of await this.series(tenant, [matchers], start, end)) {
      const v = s.labels[name];
      if (v !== undefined) vals.add(v);
    }
    return [...vals].sort();
  }
}
