/** Prometheus text exposition format 0.0.4, for families collected by HostMetrics. */
import type { MetricFamily } from './types.js';

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A sample value as the format spells it (`NaN`, `+Inf`, `-Inf`, else a Go-parsable float). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Renders families sorted by name (as client_golang does), labels sorted by name, one HELP/TYPE
 * pair per family; `extra` labels (job, instance) are not added: a scraper adds its own.
 * Families with no samples are left out, as node_exporter leaves them out.
 */
export function formatText(families: ReadonlyArray<MetricFamily>): string {
  const parts: string[] = [];
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    if (f.samples.length === 0) continue;
    parts.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    for (const s of f.samples) {
      const names = Object.keys(s.labels).sort();
      let line = f.name;
      if (names.length > 0) line += `{${names.map((n) => `${n}="${escapeValue(s.labels[n] as string)}"`).join(',')}}`;
      parts.push(`${line} ${formatValue(s.value)}\n`);
    }
  }
  return parts.join('');
}
