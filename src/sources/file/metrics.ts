/** The `file` source's own metrics (beside the component counters every component has). */
import { Counter, Gauge, type Registry } from 'prom-client';

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  // Several file sources share one registry: the families are created once, labelled by component id.
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The errno code of a thrown value (`ENOENT`, `EACCES`...), if any. */
export function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class FileSourceMetrics {
  readonly l: { component_id: string };
  readonly openFiles: Gauge<string>;
  readonly watchedFiles: Gauge<string>;
  readonly truncations: Counter<string>;
  readonly lagBytes: Gauge<string>;
  readonly longLines: Counter<string>;

  constructor(registry: Registry, componentId: string) {
    this.l = { component_id: componentId };
    const labelNames = ['component_id'];
    const registers = [registry];
    this.openFiles = getOrCreate(registry, 'vigil_source_file_open_files', () =>
      new Gauge({ name: 'vigil_source_file_open_files', help: 'Files the file source holds open.', labelNames, registers }));
    this.watchedFiles = getOrCreate(registry, 'vigil_source_file_watched_files', () =>
      new Gauge({ name: 'vigil_source_file_watched_files', help: 'Files the file source follows.', labelNames, registers }));
    this.lagBytes = getOrCreate(registry, 'vigil_source_file_lag_bytes', () =>
      new Gauge({ name: 'vigil_source_file_lag_bytes', help: 'Bytes in followed files not yet acknowledged downstream (sum over files, as of the last stat).', labelNames, registers }));
    this.truncations = getOrCreate(registry, 'vigil_source_file_truncations_total', () =>
      new Counter({ name: 'vigil_source_file_truncations_total', help: 'Files found shorter than their read position (truncated, copytruncate) and read again from 0.', labelNames, registers }));
    this.longLines = getOrCreate(registry, 'vigil_source_file_long_lines_total', () =>
      new Counter({ name: 'vigil_source_file_long_lines_total', help: 'Lines longer than max_line_bytes (split or truncated).', labelNames, registers }));
  }
}
