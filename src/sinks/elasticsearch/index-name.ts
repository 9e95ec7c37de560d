/**
 * Index name templates of the `elasticsearch`/`opensearch` sinks: strftime-style date parts taken
 * from each entry's timestamp in UTC (`vigil-%Y.%m.%d`) and `{{ labels.x }}` / `{{ fields.x }}`
 * substitutions, sanitized to Elasticsearch's index naming rules.
 */
import type { Micros } from '../../core/time.js';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'date'; spec: string }
  | { kind: 'label'; name: string }
  | { kind: 'field'; name: string };

/** The date specifiers we understand; anything else after `%` is a config error. */
const DATE_SPECS = new Set(['Y', 'y', 'm', 'd', 'H', 'j', 'G', 'V', '%']);

/** A parsed template; `render` is called once per entry, so it caches the date part per hour. */
export interface IndexTemplate {
  readonly source: string;
  /** True when the name depends on the entry (date or fields), not only on the stream. */
  readonly perEntry: boolean;
  readonly usesFields: boolean;
  render(ts: Micros, labels: Readonly<Record<string, string>>, fields: Readonly<Record<string, string>> | undefined): string;
}

/**
 * Parses `template`; `substitute` rewrites substituted values (data streams turn `-` into `_`). Throws an Error naming the offset of a bad `%x` or `{{ }}` so the config
 * check reports it (the caller prefixes the config path).
 */
export function parseIndexTemplate(template: string, substitute: (value: string) => string = (v) => v): IndexTemplate {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '%') {
      const spec = template[i + 1];
      if (spec === undefined || !DATE_SPECS.has(spec)) throw new Error(`unknown date specifier %${spec ?? ''} at offset ${i} (use %Y %y %m %d %H %j %G %V %%)`);
      i++;
      if (spec === '%') {
        text += '%';
        continue;
      }
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'date', spec });
    } else if (c === '{' && template[i + 1] === '{') {
      const end = template.indexOf('}}', i + 2);
      if (end < 0) throw new Error(`unterminated {{ at offset ${i}`);
      const expr = template.slice(i + 2, end).trim();
      const m = /^(labels|fields)\.([A-Za-z_][A-Za-z0-9_.-]*)$/.exec(expr);
      if (!m) throw new Error(`bad substitution {{ ${expr} }} at offset ${i} (use {{ labels.<name> }} or {{ fields.<name> }})`);
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: m[1] === 'labels' ? 'label' : 'field', name: m[2] as string });
      i = end + 1;
    } else text += c;
  }
  if (text) parts.push({ kind: 'text', text });
  const usesDate = parts.some((p) => p.kind === 'date');
  const usesFields = parts.some((p) => p.kind === 'field');
  // Rendering a date costs a Date object; entries of a batch mostly share the hour.
  let cachedHour = Number.NaN;
  let cachedDate = new Map<string, string>();
  const dateText = (ts: Micros, spec: string): string => {
    const hour = Math.floor(ts / 3_600_000_000);
    if (hour !== cachedHour) {
      cachedHour = hour;
      cachedDate = new Map();
    }
    let v = cachedDate.get(spec);
    if (v === undefined) {
      v = formatDate(new Date(Math.floor(ts / 1000)), spec);
      cachedDate.set(spec, v);
    }
    return v;
  };
  return {
    source: template,
    perEntry: usesDate || usesFields,
    usesFields,
    render(ts, labels, fields) {
      let out = '';
      for (const p of parts) {
        if (p.kind === 'text') out += p.text;
        else if (p.kind === 'date') out += dateText(ts, p.spec);
        else if (p.kind === 'label') out += substitute(labels[p.name] ?? '');
        else out += substitute(fields?.[p.name] ?? '');
      }
      return out;
    },
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function formatDate(d: Date, spec: string): string {
  switch (spec) {
    case 'Y':
      return String(d.getUTCFullYear());
    case 'y':
      return pad(d.getUTCFullYear() % 100);
    case 'm':
      return pad(d.getUTCMonth() + 1);
    case 'd':
      return pad(d.getUTCDate());
    case 'H':
      return pad(d.getUTCHours());
    case 'j': {
      const start = Date.UTC(d.getUTCFullYear(), 0, 1);
      return pad(Math.floor((d.getTime() - start) / 86_400_000) + 1, 3);
    }
    case 'G':
      return String(isoWeek(d).year);
    case 'V':
      return pad(isoWeek(d).week);
    default:
      return '';
  }
}

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return { year: t.getUTCFullYear(), week: Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7) };
}

/**
 * Makes `name` a valid Elasticsearch index (or data stream) name: lowercase, the forbidden
 * characters `\ / * ? " < > | space , # :` replaced by `_`, no leading `-`, `_` or `+`, at most
 * 255 bytes. Returns undefined when nothing valid remains (empty, `.` or `..`) so the caller can
 * reject the entry instead of sending a request ES would refuse.
 */
export function sanitizeIndexName(name: string): string | undefined {
  let s = name.toLowerCase().replace(/[\\/*?"<>| ,#:\t\r\n]/g, '_');
  s = s.replace(/^[-_+]+/, '');
  while (Buffer.byteLength(s) > 255) s = s.slice(0, -1);
  if (s === '' || s === '.' || s === '..') return undefined;
  return s;
}
