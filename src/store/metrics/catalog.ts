/**
 * The metrics catalog in SQLite: series (tenant, labels JSON) with a label index, segment files
 * and chunk metadata. `synchronous=FULL` because write-ahead log segments are deleted right after
 * a flush commit: that commit must survive a power cut. Statements are small index lookups.
 */
import Database from 'better-sqlite3';
import type { Labels } from '../../core/labels.js';

export interface SeriesRow {
  id: number;
  tenant: string;
  labelsJson: string;
  /** Samples of this series with t <= this are in committed chunks (-Infinity: none). */
  flushedMaxT: number;
  minT: number | null;
  maxT: number | null;
}

export interface ChunkRow {
  segment: number;
  offset: number;
  bytes: number;
  crc: number;
  minT: number;
  maxT: number;
  count: number;
}

export interface NewChunkRow extends ChunkRow {
  series: number;
}

export interface SegmentRow {
  id: number;
  minT: number;
  maxT: number;
  bytes: number;
}

/** Owned by MetricsStore. Throws better-sqlite3's errors on I/O failure. */
export class MetricsCatalog {
  private readonly db: Database.Database;
  private readonly st;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, labels TEXT NOT NULL, flushed_max_t REAL, UNIQUE (tenant, labels));
      CREATE TABLE IF NOT EXISTS label_index (tenant TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, series INTEGER NOT NULL,
        PRIMARY KEY (tenant, name, value, series)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, min_t INTEGER NOT NULL, max_t INTEGER NOT NULL, bytes INTEGER NOT NULL);
      -- Keyed by (series, max_t) without rowid: the table is its own series index (a series' chunks
      -- never share a max_t), which halves the catalog bytes per chunk. Times are integer ms.
      CREATE TABLE IF NOT EXISTS chunks (series INTEGER NOT NULL, max_t INTEGER NOT NULL, min_t INTEGER NOT NULL, segment INTEGER NOT NULL,
        offset INTEGER NOT NULL, bytes INTEGER NOT NULL, crc INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (series, max_t)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS chunks_by_segment ON chunks (segment);
    `);
    this.st = {
      insSeries: this.db.prepare('INSERT INTO series (tenant, labels) VALUES (?, ?)'),
      insLabel: this.db.prepare('INSERT OR IGNORE INTO label_index (tenant, name, value, series) VALUES (?, ?, ?, ?)'),
      insSegment: this.db.prepare('INSERT INTO segments (id, min_t, max_t, bytes) VALUES (?, ?, ?, ?)'),
      insChunk: this.db.prepare('INSERT INTO chunks (series, max_t, min_t, segment, offset, bytes, crc, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      setFlushed: this.db.prepare('UPDATE series SET flushed_max_t = MAX(COALESCE(flushed_max_t, -1e308), ?) WHERE id = ?'),
      delChunksOfSegment: this.db.prepare('DELETE FROM chunks WHERE segment = ?'),
      chunksBefore: this.db.prepare(
        'SELECT series, segment, offset, bytes, crc, min_t AS minT, max_t AS maxT, count FROM chunks WHERE series IN (SELECT value FROM json_each(?)) AND max_t >= ? AND max_t < ? AND min_t <= ? ORDER BY series, max_t',
      ),
      spans: this.db.prepare('SELECT series AS id, MIN(min_t) AS minT, MAX(max_t) AS maxT FROM chunks GROUP BY series'),
      delSegment: this.db.prepare('DELETE FROM segments WHERE id = ?'),
      delSeries: this.db.prepare('DELETE FROM series WHERE id = ?'),
      delLabels: this.db.prepare('DELETE FROM label_index WHERE tenant = ? AND series = ?'),
    };
  }

  /** Every series with the time span of its chunks (for the in-memory series map and postings at open). */
  loadSeries(): SeriesRow[] {
    return this.db
      .prepare(
        `SELECT s.id, s.tenant, s.labels AS labelsJson, s.flushed_max_t AS flushedMaxT, c.minT, c.maxT FROM series s
         LEFT JOIN (SELECT series, MIN(min_t) AS minT, MAX(max_t) AS maxT FROM chunks GROUP BY series) c ON c.series = s.id`,
      )
      .all()
      .map((r) => {
        const row = r as SeriesRow & { flushedMaxT: number | null };
        return { ...row, flushedMaxT: row.flushedMaxT ?? -Infinity };
      });
  }

  /**
   * Calls `fn` with every chunk row whose max time is >= `fromT`, by series then max time (for
   * the in-memory chunk lists at open). The row object is reused between calls: copy what you keep.
   */
  forEachChunk(fromT: number, fn: (c: NewChunkRow) => void): void {
    const row: NewChunkRow = { series: 0, segment: 0, offset: 0, bytes: 0, crc: 0, minT: 0, maxT: 0, count: 0 };
    const st = this.db.prepare('SELECT series, max_t, min_t, segment, offset, bytes, crc, count FROM chunks WHERE max_t >= ? ORDER BY series, max_t').raw();
    for (const r of st.iterate(fromT) as IterableIterator<number[]>) {
      row.series = r[0] as number;
      row.maxT = r[1] as number;
      row.minT = r[2] as number;
      row.segment = r[3] as number;
      row.offset = r[4] as number;
      row.bytes = r[5] as number;
      row.crc = r[6] as number;
      row.count = r[7] as number;
      fn(row);
    }
  }

  /** Inserts new series and their label index rows in one transaction; returns their ids in order. */
  createSeries(items: ReadonlyArray<{ tenant: string; labelsJson: string; labels: Labels }>): number[] {
    return this.db.transaction(() =>
      items.map((it) => {
        const id = Number(this.st.insSeries.run(it.tenant, it.labelsJson).lastInsertRowid);
        for (const [k, v] of Object.entries(it.labels)) this.st.insLabel.run(it.tenant, k, v, id);
        return id;
      }),
    )();
  }

  /** Commits a segment (already fsynced on disk) and its chunks, advancing each series' flushedMaxT. */
  commitSegment(seg: SegmentRow, chunks: ReadonlyArray<NewChunkRow>): void {
    this.db.transaction(() => {
      this.st.insSegment.run(seg.id, seg.minT, seg.maxT, seg.bytes);
      for (const c of chunks) {
        this.st.insChunk.run(c.series, c.maxT, c.minT, c.segment, c.offset, c.bytes, c.crc, c.count);
        this.st.setFlushed.run(c.maxT, c.series);
      }
    })();
  }

  /**
   * Chunks of many series overlapping [start, end] ms whose max time is below `before` (the ones
   * older than the in-memory chunk lists hold), in one statement: rows by series, then max time.
   */
  chunksBefore(series: readonly number[], start: number, end: number, before: number): NewChunkRow[] {
    return this.st.chunksBefore.all(JSON.stringify(series), start, before, end) as NewChunkRow[];
  }

  /** Chunk time span per series, after retention changed it. */
  spans(): Array<{ id: number; minT: number; maxT: number }> {
    return this.st.spans.all() as Array<{ id: number; minT: number; maxT: number }>;
  }

  segments(): SegmentRow[] {
    return this.db.prepare('SELECT id, min_t AS minT, max_t AS maxT, bytes FROM segments ORDER BY max_t, id').all() as SegmentRow[];
  }

  nextSegmentId(): number {
    const r = this.db.prepare('SELECT MAX(id) AS m FROM segments').get() as { m: number | null };
    return (r.m ?? 0) + 1;
  }

  /** Totals for stats() (a scan of the chunk table: for /metrics and tests, not hot paths). */
  totals(): { chunks: number; chunkBytes: number; samples: number; segments: number } {
    const r = this.db
      .prepare('SELECT COUNT(*) AS chunks, COALESCE(SUM(bytes), 0) AS chunkBytes, COALESCE(SUM(count), 0) AS samples, (SELECT COUNT(*) FROM segments) AS segments FROM chunks')
      .get();
    return r as { chunks: number; chunkBytes: number; samples: number; segments: number };
  }

  /** Deletes segments' chunk rows and segment rows in one transaction (the files go after). */
  deleteSegments(ids: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of ids) {
        this.st.delChunksOfSegment.run(id);
        this.st.delSegment.run(id);
      }
    })();
  }

  deleteSeries(items: ReadonlyArray<{ id: number; tenant: string }>): void {
    this.db.transaction(() => {
      for (const it of items) {
        this.st.delLabels.run(it.tenant, it.id);
        this.st.delSeries.run(it.id);
      }
    })();
  }

  /** Bytes of the SQLite files are not counted here; see MetricsStore.stats(). */
  close(): void {
    this.db.close();
  }
}
