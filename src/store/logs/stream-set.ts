/**
 * The streams the store knows, per tenant, in memory (loaded from the catalog on open). Matching
 * uses the catalog's label index for an `=` matcher and checks the rest in memory.
 */
import { compileMatcher, type LabelMatcher } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { Catalog } from './catalog.js';
import type { HeadBlock, StreamState } from './head.js';

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class StreamSet {
  private readonly tenants = new Map<string, Map<string, StreamState>>();
  private readonly byId = new Map<number, StreamState>();

  constructor(private readonly catalog: Catalog) {}

  add(st: StreamState): void {
    let t = this.tenants.get(st.tenant);
    if (!t) this.tenants.set(st.tenant, (t = new Map()));
    t.set(st.key, st);
    this.byId.set(st.id, st);
  }

  get(tenant: string, key: string): StreamState | undefined {
    return this.tenants.get(tenant)?.get(key);
  }

  byStreamId(id: number): StreamState | undefined {
    return this.byId.get(id);
  }

  /** Streams of a tenant with entries in memory (a head or blocks being written). */
  activeIn(tenant: string): number {
    let n = 0;
    for (const st of this.tenants.get(tenant)?.values() ?? []) if (st.head || st.sealed.length > 0) n++;
    return n;
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<StreamState> {
    return this.byId.values();
  }

  /** Streams of a tenant matching every matcher, in key order. Throws on an invalid regex. */
  match(tenant: string, matchers: ReadonlyArray<LabelMatcher>): StreamState[] {
    const all = this.tenants.get(tenant);
    if (!all) return [];
    const eq = matchers.find((m) => m.op === '=' && m.value !== '');
    const candidates: Iterable<StreamState> = eq
      ? this.catalog.streamsWithLabel(tenant, eq.name, eq.value).map((id) => this.byId.get(id)).filter((s): s is StreamState => s !== undefined)
      : all.values();
    const preds = matchers.map((m) => ({ name: m.name, test: compileMatcher(m) }));
    const out: StreamState[] = [];
    for (const st of candidates) if (preds.every((p) => p.test(st.labels[p.name]))) out.push(st);
    return out.sort(byKey);
  }

  /** True when the stream has an entry (in memory) or a chunk overlapping [start, end). */
  hasData(st: StreamState, start: Micros, end: Micros): boolean {
    for (const b of memBlocks(st)) if (b.ts.length > 0 && b.minTs < end && b.maxTs >= start) return true;
    return this.catalog.hasChunkInRange(st.id, start, end);
  }
}

/** A stream's in-memory blocks: sealed ones (being written) then the head. */
export function memBlocks(st: StreamState): HeadBlock[] {
  return st.head ? [...st.sealed, st.head] : st.sealed;
}
