/** `vigil buffer inspect <dir>`: what the disk buffers hold (read-only; safe while Vigil runs). */
import { findBuffers, inspectBuffer, type BufferReport } from '../buffer/inspect.js';
import { formatLabels } from '../core/labels.js';
import { microsToRfc3339 } from '../core/time.js';
import { formatBytes } from '../core/units.js';

function render(r: BufferReport): string[] {
  const out = [`${r.sink ? `sink ${r.sink}: ` : ''}${r.dir}`];
  const first = r.segments[0]?.name;
  const last = r.segments[r.segments.length - 1]?.name;
  out.push(`  segments      ${r.segments.length}${first ? ` (${first}${last !== first ? ` … ${last}` : ''})` : ''}, ${formatBytes(r.diskBytes)} on disk`);
  out.push(`  acknowledged  ${r.acknowledged ? `up to ${r.acknowledged.segment} byte ${r.acknowledged.offset}` : 'nothing yet'}`);
  out.push(`  queued        ${r.queuedBatches.toLocaleString('en-US')} batches, ${r.queuedEntries.toLocaleString('en-US')} entries, ${formatBytes(r.queuedBytes)}`);
  if (r.oldestMicros !== undefined && r.newestMicros !== undefined) out.push(`  time range    ${microsToRfc3339(r.oldestMicros)} … ${microsToRfc3339(r.newestMicros)}`);
  for (const s of r.streams) out.push(`  ${String(s.entries.toLocaleString('en-US')).padStart(12)}  ${formatLabels(s.labels)}`);
  if (r.corrupt.length === 0) out.push('  corrupt       none');
  for (const c of r.corrupt) out.push(`  corrupt       ${c.file} byte ${c.offset}: ${c.reason} (${c.skipped} bytes skipped on delivery)`);
  return out;
}

/** Prints reports of every buffer under `path`; exit code 1 when there is none, 0 otherwise. */
export function bufferInspectCommand(path: string, o: { output?: string }): number {
  const dirs = findBuffers(path);
  if (dirs.length === 0) {
    process.stderr.write(`no disk buffer found at ${path} (expected a buffer directory, a sink directory or a data directory)\n`);
    return 1;
  }
  const reports = dirs.map((d) => inspectBuffer(d));
  if (o.output === 'json') process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else process.stdout.write(`${reports.map((r) => render(r).join('\n')).join('\n\n')}\n`);
  return 0;
}
