/**
 * `{{ labels.<name> }}` placeholders in the `http` sink's URL and header values, rendered per
 * stream so one batch fans out into one request per distinct destination. A label a stream lacks
 * renders as `default` (a URL must never end up with an empty path segment by accident);
 * values are percent-encoded in URLs.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';

const PLACEHOLDER = /\{\{\s*labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

export interface Template {
  readonly dynamic: boolean;
  render(labels: Labels, encode: boolean): string;
}

/** Parses a template; throws naming the offset of a `{{` that is not a valid placeholder. */
export function compileTemplate(text: string, what: string): Template {
  const stray = text.replace(PLACEHOLDER, '').indexOf('{{');
  if (stray >= 0) throw new Error(`${what}: only {{ labels.<name> }} placeholders are supported (at ${JSON.stringify(text)})`);
  const dynamic = PLACEHOLDER.test(text);
  PLACEHOLDER.lastIndex = 0;
  return {
    dynamic,
    render(labels, encode) {
      if (!dynamic) return text;
      return text.replace(PLACEHOLDER, (_, name: string) => {
        const v = labels[name] ?? 'default';
        return encode ? encodeURIComponent(v) : v;
      });
    },
  };
}

export interface Destination {
  url: string;
  headers: Record<string, string>;
  batch: LogBatch;
}

/** Groups the streams of `batch` by rendered URL and headers (one group when nothing is templated). */
export function splitByDestination(batch: LogBatch, url: Template, headers: Record<string, Template>): Destination[] {
  const headerEntries = Object.entries(headers);
  const dynamic = url.dynamic || headerEntries.some(([, t]) => t.dynamic);
  const render = (l: Labels): { url: string; headers: Record<string, string> } => ({
    url: url.render(l, true),
    headers: Object.fromEntries(headerEntries.map(([k, t]) => [k, t.render(l, false)])),
  });
  if (!dynamic) return [{ ...render({}), batch }];
  const groups = new Map<string, { url: string; headers: Record<string, string>; streams: StreamBatch[] }>();
  for (const s of batch.streams) {
    const r = render(s.labels);
    const key = JSON.stringify(r);
    const g = groups.get(key);
    if (g) g.streams.push(s);
    else groups.set(key, { ...r, streams: [s] });
  }
  return [...groups.values()].map((g) => ({ url: g.url, headers: g.headers, batch: { streams: g.streams } }));
}
