/**
 * Read-only inspection of disk buffers for `vigil buffer inspect`: what is queued (batches,
 * entries, bytes, time range, top streams) and any corrupt records, without changing the files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeBatch } from './batch-codec.js';
import { checkRecord, listSegments, readAckPosition, resync } from './disk-queue.js';

export interface BufferReport {
  dir: string;
  /** The sink id when the directory is a sink's buffer (`.../sinks/<id>/buffer`). */
  sink: string | undefined;
  segments: Array<{ name: string; bytes: number }>;
  diskBytes: number;
  acknowledged: { segment: string; offset: number } | undefined;
  queuedBatches: number;
  queuedEntries: number;
  queuedBytes: number;
  oldestMicros: number | undefined;
  newestMicros: number | undefined;
  streams: Array<{ labels: Record<string, string>; entries: number }>;
  corrupt: Array<{ file: string; offset: number; reason: string; skipped: number }>;
}

const segName = (n: number) => `${String(n).padStart(16, '0')}.seg`;

function labelsKey(l: Record<string, string>): string {
  return JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Inspects one buffer directory (holding `*.seg` files). */
export function inspectBuffer(dir: string, topStreams = 10): BufferReport {
  const segs = listSegments(dir);
  const ack = readAckPosition(dir);
  const report: BufferReport = {
    dir,
    sink: basename(dir) === 'buffer' ? basename(join(dir, '..')) : undefined,
    // A running Vigil deletes acknowledged segments at any time: those count as gone, not as errors.
    segments: segs.flatMap((s) => {
      try {
        return [{ name: segName(s), bytes: statSync(join(dir, segName(s))).size }];
      } catch {
        return [];
      }
    }),
    diskBytes: 0,
    acknowledged: ack ? { segment: segName(ack.seg), offset: ack.offset } : undefined,
    queuedBatches: 0,
    queuedEntries: 0,
    queuedBytes: 0,
    oldestMicros: undefined,
    newestMicros: undefined,
    streams: [],
    corrupt: [],
  };
  report.diskBytes = report.segments.reduce((n, s) => n + s.bytes, 0);
  const streams = new Map<string, { labels: Record<string, string>; entries: number }>();
  for (const s of segs) {
    if (ack && s < ack.seg) continue;
    const file = join(dir, segName(s));
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      continue;
    }
    let off = ack && s === ack.seg ? ack.offset : 0;
    while (off < buf.length) {
      const r = checkRecord(buf, off);
      if (!('size' in r)) {
        const next = resync(buf, off + 1);
        const skipped = (next < 0 ? buf.length : next) - off;
        report.corrupt.push({ file, offset: off, reason: r.invalid, skipped });
        off += skipped;
        continue;
      }
      report.queuedBatches++;
      report.queuedBytes += r.size;
      try {
        const b = decodeBatch(r.payload);
        for (const st of b.streams) {
          report.queuedEntries += st.lines.length;
          const k = labelsKey(st.labels);
          const e = streams.get(k) ?? { labels: st.labels, entries: 0 };
          e.entries += st.lines.length;
          streams.set(k, e);
          for (const t of st.ts) {
            if (report.oldestMicros === undefined || t < report.oldestMicros) report.oldestMicros = t;
            if (report.newestMicros === undefined || t > report.newestMicros) report.newestMicros = t;
          }
        }
      } catch (e) {
        report.corrupt.push({ file, offset: off, reason: (e as Error).message, skipped: r.size });
      }
      off += r.size;
    }
  }
  report.streams = [...streams.values()].sort((a, b) => b.entries - a.entries).slice(0, topStreams);
  return report;
}

/**
 * The buffer directories under `path`: itself when it holds segments, else every
 * `components/sinks/<id>/buffer` of a data directory, or `<sink dir>/buffer`.
 */
export function findBuffers(path: string): string[] {
  if (!existsSync(path)) return [];
  if (listSegments(path).length > 0 || existsSync(join(path, 'ack.json'))) return [path];
  if (existsSync(join(path, 'buffer'))) return [join(path, 'buffer')];
  const sinks = existsSync(join(path, 'components', 'sinks')) ? join(path, 'components', 'sinks') : existsSync(join(path, 'sinks')) ? join(path, 'sinks') : undefined;
  if (!sinks) return [];
  return readdirSync(sinks)
    .map((id) => join(sinks, id, 'buffer'))
    .filter((d) => existsSync(d));
}
