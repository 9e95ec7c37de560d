/**
 * A small, honest in-memory LogAppender + LogQuerier for the server's tests: tenant isolation,
 * [start, end) ranges, matchers, line filters and both orders behave as the interfaces say.
 * Not for production (no durability); the real store lives in src/store/logs/.
 */
import type { LogBatch } from '../../core/events.js';
import { VigilError } from '../../core/errors.js';
import { formatLabels, matchesAll, type LabelMatcher, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type {
  AppendRejection, AppendResult, LineFilter, LogAppender, LogQuerier, LogSelect, SelectedEntries, StreamInfo,
} from '../../store/interfaces.js';

interface Entry {
  ts: Micros;
  line: string;
  fields: Record<string, string> | undefined;
}

interface MemStream {
  labels: Labels;
  key: string;
  entries: Entry[];
}

function lineFilterFn(f: LineFilter): (line: string) => boolean {
  switch (f.op) {
    case '|=': return (l) => l.includes(f.value);
    case '!=': return (l) => !l.includes(f.value);
    case '|~': { const re = new RegExp(f.value); return (l) => re.test(l); }
    case '!~': { const re = new RegExp(f.value); return (l) => !re.test(l); }
  }
}

/** The in-memory store; `gate`, `failWith` and `maxLabelsPerStream` let tests script the appender's behaviour. */
export class MemoryLogStore implements LogAppender, LogQuerier {
  private readonly tenants = new Map<string, Map<string, MemStream>>();
  /** When set, append waits for it before storing (tests check nothing is acknowledged early). */
  gate: Promise<void> | undefined;
  /** When set, streams with more labels than this are refused (as the real store's limit). */
  maxLabelsPerStream: number | undefined;
  /** When set, append rejects with it (a disk-full store). */
  failWith: Error | undefined;
  /** Every append call's tenant, in order. */
  readonly appendedTenants: string[] = [];

  async append(tenant: string, batch: LogBatch): Promise<AppendResult> {
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.appendedTenants.push(tenant);
    let streams = this.tenants.get(tenant);
    if (!streams) {
      streams = new Map();
      this.tenants.set(tenant, streams);
    }
    const rejected: AppendRejection[] = [];
    let accepted = 0;
    batch.streams.forEach((sb, i) => {
      const n = Object.keys(sb.labels).length;
      if (this.maxLabelsPerStream !== undefined && n > this.maxLabelsPerStream) {
        rejected.push({ stream: i, count: sb.lines.length, code: 'LIMIT_EXCEEDED', reason: `stream ${formatLabels(sb.labels)}: ${n} labels, the limit is ${this.maxLabelsPerStream}` });
        return;
      }
      const key = formatLabels(sb.labels);
      let s = streams.get(key);
      if (!s) {
        s = { labels: { ...sb.labels }, key, entries: [] };
        streams.set(key, s);
      }
      for (let j = 0; j < sb.lines.length; j++) {
        s.entries.push({ ts: sb.ts[j] as Micros, line: sb.lines[j] as string, fields: sb.fields?.[j] });
      }
      s.entries.sort((a, b) => a.ts - b.ts);
      accepted += sb.lines.length;
    });
    return { accepted, rejected };
  }

  /** All entries of a tenant as rows (for assertions). */
  dump(tenant: string): Array<{ labels: Labels; ts: Micros; line: string; fields?: Record<string, string> }> {
    const out: Array<{ labels: Labels; ts: Micros; line: string; fields?: Record<string, string> }> = [];
    for (const s of this.tenants.get(tenant)?.values() ?? []) {
      for (const e of s.entries) out.push({ labels: s.labels, ts: e.ts, line: e.line, ...(e.fields ? { fields: e.fields } : {}) });
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  private matching(tenant: string, matchers: ReadonlyArray<LabelMatcher>, start: Micros, end: Micros): MemStream[] {
    const out: MemStream[] = [];
    for (const s of this.tenants.get(tenant)?.values() ?? []) {
      if (!matchesAll(s.labels, matchers)) continue;
      if (!s.entries.some((e) => e.ts >= start && e.ts < end)) continue;
      out.push(s);
    }
    return out;
  }

  async *select(q: LogSelect): AsyncIterable<SelectedEntries> {
    const filters = (q.lineFilters ?? []).map(lineFilterFn);
    const rows: Array<{ s: MemStream; e: Entry }> = [];
    for (const s of this.matching(q.tenant, q.matchers, q.start, q.end)) {
      for (const e of s.entries) {
        if (e.ts < q.start || e.ts >= q.end) continue;
        if (!filters.every((f) => f(e.line))) continue;
        rows.push({ s, e });
      }
    }
    const sign = q.direction === 'forward' ? 1 : -1;
    rows.sort((a, b) => sign * (a.e.ts - b.e.ts) || (a.s.key < b.s.key ? -1 : a.s.key > b.s.key ? 1 : 0));
    let cur: SelectedEntries | undefined;
    for (const { s, e } of rows) {
      if (q.signal?.aborted) throw new VigilError('QUERY_TIMEOUT', 'aborted');
      if (!cur || cur.key !== s.key) {
        if (cur) yield cur;
        cur = { labels: s.labels, key: s.key, ts: [], lines: [] };
      }
      cur.ts.push(e.ts);
      cur.lines.push(e.line);
    }
    if (cur) yield cur;
  }

  async series(tenant: string, matcherSets: LabelMatcher[][], start: Micros, end: Micros): Promise<StreamInfo[]> {
    const byKey = new Map<string, StreamInfo>();
    for (const set of matcherSets) {
      for (const s of this.matching(tenant, set, start, end)) byKey.set(s.key, { labels: s.labels, key: s.key });
    }
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async labelNames(tenant: string, start: Micros, end: Micros, matchers?: LabelMatcher[]): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.matching(tenant, matchers ?? [], start, end)) for (const k of Object.keys(s.labels)) names.add(k);
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, start: Micros, end: Micros, matchers?: LabelMatcher[]): Promise<string[]> {
    const values = new Set<string>();
    for (const s of this.matching(tenant, matchers ?? [], start, end)) {
      const v = s.labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }
}
