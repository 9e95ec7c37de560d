/**
 * Rendering of Loki-shaped query results for the terminal: log lines (default/raw/json), metric
 * results as a table, and a sparkline per series where a shape is quicker to read than numbers.
 */
import { formatLabels } from '../core/labels.js';
import { microsToRfc3339, nanosStringToMicros } from '../core/time.js';

export type OutputFormat = 'default' | 'raw' | 'json' | 'table';

interface StreamResult {
  stream: Record<string, string>;
  values: Array<[string, string, ...unknown[]]>;
}
interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}
interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}
export interface QueryData {
  resultType: 'streams' | 'vector' | 'matrix' | 'scalar';
  result: unknown;
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A unicode sparkline of `values` scaled to their own min/max, `width` columns at most. */
export function sparkline(values: number[], width = 40): string {
  if (values.length === 0) return '';
  const step = Math.max(1, Math.ceil(values.length / width));
  const cols: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const slice = values.slice(i, i + step).filter((v) => Number.isFinite(v));
    cols.push(slice.length ? Math.max(...slice) : Number.NaN);
  }
  const finite = cols.filter((v) => Number.isFinite(v));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return cols
    .map((v) => {
      if (!Number.isFinite(v)) return ' ';
      if (max === min) return SPARKS[3];
      return SPARKS[Math.round(((v - min) / (max - min)) * (SPARKS.length - 1))];
    })
    .join('');
}

function fmtNum(s: string): string {
  const n = Number(s);
  if (!Number.isFinite(n)) return s;
  return Number.isInteger(n) ? String(n) : n.toPrecision(6).replace(/\.?0+$/, '');
}

/** Log entries of a streams result, merged across streams in the query's direction. */
export function renderStreams(result: StreamResult[], format: OutputFormat, forward: boolean, color: boolean): string[] {
  const rows: Array<{ ns: string; us: number; labels: Record<string, string>; line: string }> = [];
  for (const s of result) for (const v of s.values) rows.push({ ns: v[0], us: nanosStringToMicros(v[0]) ?? 0, labels: s.stream, line: v[1] });
  rows.sort((a, b) => (forward ? a.us - b.us : b.us - a.us));
  return rows.map((r) => {
    if (format === 'raw') return r.line;
    if (format === 'json') return JSON.stringify({ timestamp: microsToRfc3339(r.us), labels: r.labels, line: r.line });
    const labels = formatLabels(r.labels);
    return `${microsToRfc3339(r.us)} ${color ? `\x1b[2m${labels}\x1b[0m` : labels} ${r.line}`;
  });
}

/** A metric result as an aligned table; matrices get min/max/last and a sparkline per series. */
export function renderMetric(data: QueryData, format: OutputFormat): string[] {
  if (format === 'json') return [JSON.stringify(data.result)];
  if (data.resultType === 'scalar') {
    const [, v] = data.result as [number, string];
    return [fmtNum(v)];
  }
  if (data.resultType === 'vector') {
    const rows = (data.result as VectorResult[]).map((r) => [formatLabels(r.metric), fmtNum(r.value[1])]);
    return table(['series', 'value'], rows);
  }
  const rows = (data.result as MatrixResult[]).map((r) => {
    const vals = r.values.map((v) => Number(v[1]));
    const last = r.values[r.values.length - 1]?.[1] ?? '';
    return [formatLabels(r.metric), fmtNum(String(Math.min(...vals))), fmtNum(String(Math.max(...vals))), fmtNum(last), sparkline(vals)];
  });
  return table(['series', 'min', 'max', 'last', 'over the range'], rows);
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['(no data)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
