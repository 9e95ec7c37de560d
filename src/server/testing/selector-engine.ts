/**
 * A deliberately small LogQL engine for the server's tests, over any LogQuerier: log queries
 * `{selector} [|= "x" | != "x" | |~ "re" | !~ "re"]...` (range → streams) and
 * `count_over_time({selector}[dur])` (instant → vector). Anything else is BAD_QUERY, like a
 * parse error of the real engine (src/query/logql/).
 */
import { LogQLEngine } from '../../query/logql/index.js';
import { VigilError } from '../../core/errors.js';
import { microsToNanosString, parseDuration, type Micros } from '../../core/time.js';
import type { LineFilter, LogQuerier } from '../../store/interfaces.js';
import type { LogQueryEngine, LogQueryRequest } from '../app.js';
import type { LokiQueryData, LokiStream } from '../loki/types.js';
import { parseSelector, SelectorSyntaxError } from '../loki/selector.js';

/** Index just past the `}` closing the selector that starts at `from`, skipping quoted text. */
function selectorEnd(q: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}') return i + 1;
  }
  throw new VigilError('BAD_QUERY', `parse error at col ${q.length + 1}: unterminated stream selector`);
}

function parseLogQuery(q: string, offset = 0): { matchers: ReturnType<typeof parseSelector>; filters: LineFilter[]; end: number } {
  const startAt = q.indexOf('{', offset);
  if (startAt < 0 || q.slice(offset, startAt).trim() !== '') throw new VigilError('BAD_QUERY', `parse error at col ${offset + 1}: expected a stream selector`);
  const end = selectorEnd(q, startAt);
  let matchers;
  try {
    matchers = parseSelector(q.slice(startAt, end));
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw new VigilError('BAD_QUERY', `parse error at col ${startAt + e.column}: ${e.message.replace(/^parse error at col \d+: /, '')}`);
    throw e;
  }
  if (matchers.length === 0) throw new VigilError('BAD_QUERY', 'queries require at least one regexp or equality matcher that does not have an empty-compatible value');
  const filters: LineFilter[] = [];
  const re = /\s*(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"/y;
  re.lastIndex = end;
  let pos = end;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q)) !== null) {
    filters.push({ op: m[1] as LineFilter['op'], value: JSON.parse(`"${m[2] ?? ''}"`) as string });
    pos = re.lastIndex;
  }
  while (pos < q.length && /\s/.test(q[pos] as string)) pos++;
  return { matchers, filters, end: pos };
}

/** The test engine; records every call and can be slowed down to test timeouts. */
export class SelectorEngine implements LogQueryEngine {
  /** Every request seen, for assertions on parameter passing. */
  readonly calls: LogQueryRequest[] = [];
  /** When set, queries wait this long (honouring the abort signal) before answering. */
  delayMs = 0;

  constructor(private readonly querier: LogQuerier) {}

  /** Live tail filtering is the real engine's (it needs the whole LogQL pipeline). */
  compileLiveFilter(query: string): ReturnType<LogQueryEngine['compileLiveFilter']> {
    return new LogQLEngine(this.querier).compileLiveFilter(query);
  }

  async query(p: LogQueryRequest): Promise<LokiQueryData> {
    this.calls.push(p);
    if (this.delayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.delayMs);
        p.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(p.signal?.reason);
        });
      });
    }
    const q = p.query.trim();
    const count = /^count_over_time\s*\(/.exec(q);
    if (count) return this.countOverTime(p, q, count[0].length);
    const { matchers, filters, end } = parseLogQuery(q);
    if (end !== q.length) throw new VigilError('BAD_QUERY', `parse error at col ${end + 1}: unexpected ${JSON.stringify(q.slice(end, end + 10))}`);
    if (p.kind === 'instant') {
      throw new VigilError('BAD_QUERY', 'log queries are not supported as an instant query type, please change your query to a range query type');
    }
    const byKey = new Map<string, LokiStream>();
    let n = 0;
    for await (const batch of this.querier.select({
      tenant: p.tenant, matchers, start: p.start, end: p.end, direction: p.direction, order: 'time', lineFilters: filters,
      ...(p.signal ? { signal: p.signal } : {}),
    })) {
      let s = byKey.get(batch.key);
      if (!s) {
        s = { stream: batch.labels, values: [] };
        byKey.set(batch.key, s);
      }
      for (let i = 0; i < batch.ts.length && n < p.limit; i++, n++) s.values.push([microsToNanosString(batch.ts[i] as Micros), batch.lines[i] as string]);
      if (n >= p.limit) break;
    }
    return { resultType: 'streams', result: [...byKey.values()].filter((s) => s.values.length > 0), stats: {} };
  }

  private async countOverTime(p: LogQueryRequest, q: string, at: number): Promise<LokiQueryData> {
    const { matchers, filters, end } = parseLogQuery(q, at);
    const m = /^\s*\[(\w+)\]\s*\)\s*$/.exec(q.slice(end));
    const range = m ? parseDuration(m[1] as string) : undefined;
    if (!m || range === undefined) throw new VigilError('BAD_QUERY', `parse error at col ${end + 1}: expected [range])`);
    if (p.kind !== 'instant') throw new VigilError('BAD_QUERY', 'this test engine evaluates count_over_time as an instant query only');
    const counts = new Map<string, { labels: Record<string, string>; n: number }>();
    for await (const b of this.querier.select({ tenant: p.tenant, matchers, start: p.end - range, end: p.end + 1, direction: 'forward', order: 'stream', lineFilters: filters })) {
      const c = counts.get(b.key) ?? { labels: b.labels, n: 0 };
      c.n += b.ts.length;
      counts.set(b.key, c);
    }
    return { resultType: 'vector', result: [...counts.values()].map((c) => ({ metric: c.labels, value: [p.end / 1e6, String(c.n)] })), stats: {} };
  }
}
