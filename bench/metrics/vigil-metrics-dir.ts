/**
 * Reads a stopped Vigil metrics store directory (`<data>/store/metrics`) from the outside, for the
 * bytes-per-sample bench: every series with its decoded samples and the chunks that hold them,
 * the size of each file kind, and where the catalog's bytes go (SQLite's dbstat, per table and
 * index). Read-only: the catalog is opened with `readonly`, segment files are only read.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Labels } from '../../src/core/labels.js';
import { segmentPath } from '../../src/store/logs/segment-file.js';
import { decodeChunk } from '../../src/store/metrics/gorilla.js';

export interface StoredChunk {
  /** Encoded size in the segment file. */
  bytes: number;
  count: number;
  /** Byte 0 of the chunk: 0 = Gorilla XOR, 1 + e = decimal with e decimals. */
  encoding: number;
  minT: number;
  maxT: number;
}

export interface StoredSeries {
  tenant: string;
  labels: Labels;
  /** Every sample in time order across the series' chunks (integer ms). */
  t: number[];
  /** Bit-exact values (a Float64Array keeps StaleNaN payloads). */
  v: Float64Array;
  chunks: StoredChunk[];
}

export interface MetricsDirBytes {
  /** Every file under the directory. */
  total: number;
  /** Segment files (`chunks/*.seg`). */
  segments: number;
  /** `catalog.sqlite` plus its `-wal` / `-shm` files when left behind. */
  catalog: number;
  /** The write-ahead log directory (empty after a clean stop). */
  wal: number;
  other: number;
}

export interface MetricsDirContents {
  series: StoredSeries[];
  bytes: MetricsDirBytes;
  /** Catalog bytes by table or index name (SQLite pages, dbstat). */
  catalogByObject: Record<string, number>;
  /** Bytes of the records themselves (dbstat payload, no page or cell overhead) by the same names. */
  catalogPayload: Record<string, number>;
  segmentFiles: number;
  /** Chunks whose bytes did not match the catalog's checksum (skipped, not decoded). */
  badChunks: number;
}

function dirSize(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirSize(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}

interface ChunkRowOut {
  series: number;
  segment: number;
  offset: number;
  bytes: number;
  crc: number;
  minT: number;
  maxT: number;
  count: number;
}

/**
 * Reads everything under `dir`. Throws when the catalog cannot be opened; a chunk whose checksum
 * or decoding fails is counted in `badChunks` and left out.
 */
export function readMetricsDir(dir: string): MetricsDirContents {
  const chunkDir = join(dir, 'chunks');
  const catalogPath = join(dir, 'catalog.sqlite');
  const fileSize = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  const total = dirSize(dir);
  const segments = dirSize(chunkDir);
  const catalog = fileSize(catalogPath) + fileSize(`${catalogPath}-wal`) + fileSize(`${catalogPath}-shm`);
  const wal = dirSize(join(dir, 'wal'));
  const bytes: MetricsDirBytes = { total, segments, catalog, wal, other: total - segments - catalog - wal };

  const db = new Database(catalogPath, { readonly: true, fileMustExist: true });
  let catalogByObject: Record<string, number> = {};
  let catalogPayload: Record<string, number> = {};
  let rows: ChunkRowOut[];
  let seriesRows: Array<{ id: number; tenant: string; labels: string }>;
  try {
    try {
      const st = db.prepare('SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload FROM dbstat GROUP BY name ORDER BY 2 DESC').all() as Array<{ name: string; bytes: number; payload: number }>;
      catalogByObject = Object.fromEntries(st.map((r) => [r.name, r.bytes]));
      catalogPayload = Object.fromEntries(st.map((r) => [r.name, r.payload]));
    } catch {
      // dbstat is a compile-time option of SQLite; without it only the file size is known.
    }
    seriesRows = db.prepare('SELECT id, tenant, labels FROM series ORDER BY id').all() as typeof seriesRows;
    rows = db
      .prepare('SELECT series, segment, offset, bytes, crc, min_t AS minT, max_t AS maxT, count FROM chunks ORDER BY series, min_t')
      .all() as ChunkRowOut[];
  } finally {
    db.close();
  }

  const bySeries = new Map<number, ChunkRowOut[]>();
  for (const r of rows) {
    const list = bySeries.get(r.series);
    if (list) list.push(r);
    else bySeries.set(r.series, [r]);
  }
  const fds = new Map<number, number>();
  const fdOf = (seg: number) => {
    let fd = fds.get(seg);
    if (fd === undefined) {
      fd = openSync(segmentPath(chunkDir, seg), 'r');
      fds.set(seg, fd);
    }
    return fd;
  };
  let badChunks = 0;
  const series: StoredSeries[] = [];
  try {
    for (const s of seriesRows) {
      const chunkRows = bySeries.get(s.id) ?? [];
      const t: number[] = [];
      const vs: Float64Array[] = [];
      const chunks: StoredChunk[] = [];
      for (const c of chunkRows) {
        const buf = Buffer.alloc(c.bytes);
        try {
          const got = readSync(fdOf(c.segment), buf, 0, c.bytes, c.offset);
          if (got !== c.bytes || crc32(buf) !== c.crc) {
            badChunks++;
            continue;
          }
          const d = decodeChunk(buf);
          for (const x of d.t) t.push(x);
          vs.push(d.v);
          chunks.push({ bytes: c.bytes, count: c.count, encoding: buf[0] ?? -1, minT: c.minT, maxT: c.maxT });
        } catch {
          badChunks++;
        }
      }
      const v = new Float64Array(t.length);
      let k = 0;
      for (const part of vs) {
        v.set(part, k);
        k += part.length;
      }
      series.push({ tenant: s.tenant, labels: JSON.parse(s.labels) as Labels, t, v, chunks });
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  const segmentFiles = existsSync(chunkDir) ? readdirSync(chunkDir).filter((f) => f.endsWith('.seg')).length : 0;
  return { series, bytes, catalogByObject, catalogPayload, segmentFiles, badChunks };
}
