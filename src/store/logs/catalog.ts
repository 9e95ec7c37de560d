/**
 * The SQLite catalog: tenants, streams and their labels, the label → stream index, segment files
 * and chunk metadata. `synchronous=NORMAL` is enough because the write-ahead log is the durability
 * point for entries, and chunk rows are committed only after their segment file is fsynced.
 * Every statement here is small (index lookups): long work never runs on SQLite.
 */
import Database from 'better-sqlite3';
import { VigilError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';

export interface StreamRow {
  id: number;
  tenant: string;
  key: string;
  labels: Labels;
  labelsJson: string;
  /** Entries from WAL records with LSN <= this are in chunks. */
  flushedLsn: number;
}

export interface ChunkMeta {
  id: number;
  stream: number;
  minTs: Micros;
  maxTs: Micros;
  entries: number;
  rawBytes: number;
  tsLength: number;
  length: number;
  offset: number;
  segment: number;
  crcTs: number;
  crcLines: number;
}

/** A chunk about to be committed (its bytes already fsynced in the segment file). */
export interface NewChunk extends Omit<ChunkMeta, 'id' | 'segment'> {
  bloom: Buffer;
}

export interface SegmentRow {
  id: number;
  tenant: string;
  bytes: number;
  maxTs: Micros;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, key TEXT NOT NULL, labels TEXT NOT NULL,
  flushed_lsn INTEGER NOT NULL DEFAULT -1, UNIQUE (tenant, key));
CREATE TABLE IF NOT EXISTS label_index (
  tenant TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, stream INTEGER NOT NULL,
  PRIMARY KEY (tenant, name, value, stream)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, tenant TEXT NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,
  entries INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, ts_length INTEGER NOT NULL, length INTEGER NOT NULL,
  offset INTEGER NOT NULL, segment INTEGER NOT NULL, crc_ts INTEGER NOT NULL, crc_lines INTEGER NOT NULL, bloom BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_stream_time ON chunks (stream, min_ts);
CREATE INDEX IF NOT EXISTS chunks_tenant_time ON chunks (tenant, max_ts);
CREATE INDEX IF NOT EXISTS chunks_segment ON chunks (segment);
`;

const CHUNK_COLS = `id, stream, min_ts AS minTs, max_ts AS maxTs, entries, raw_bytes AS rawBytes, ts_length AS tsLength,
  length, offset, segment, crc_ts AS crcTs, crc_lines AS crcLines`;

/** Owned by LogStore; synchronous (better-sqlite3). Throws on I/O errors (the store reports them). */
export class Catalog {
  readonly db: Database.Database;
  private readonly q;

  /** Throws UNAVAILABLE when another process holds the catalog (one store per data directory). */
  constructor(path: string) {
    this.db = new Database(path, { timeout: 500 });
    try {
      // Exclusive locking doubles as the data directory lock: two stores appending to one WAL
      // directory would delete each other's segments. The lock dies with the process.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (e) {
      this.db.close();
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY'))
        throw new VigilError('UNAVAILABLE', `log store ${path} is in use by another process`, undefined, { cause: e });
      throw e;
    }
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.q = {
      insertTenant: db.prepare('INSERT OR IGNORE INTO tenants (name) VALUES (?)'),
      insertStream: db.prepare('INSERT INTO streams (tenant, key, labels) VALUES (?, ?, ?)'),
      insertLabel: db.prepare('INSERT OR IGNORE INTO label_index (tenant, name, value, stream) VALUES (?, ?, ?, ?)'),
      setFlushed: db.prepare('UPDATE streams SET flushed_lsn = ? WHERE id = ? AND flushed_lsn < ?'),
      insertSegment: db.prepare('INSERT INTO segments (id, tenant, bytes) VALUES (?, ?, ?)'),
      insertChunk: db.prepare(`INSERT INTO chunks (stream, tenant, min_ts, max_ts, entries, raw_bytes, ts_length, length, offset, segment, crc_ts, crc_lines, bloom)
        VALUES (@stream, @tenant, @minTs, @maxTs, @entries, @rawBytes, @tsLength, @length, @offset, @segment, @crcTs, @crcLines, @bloom)`),
      chunksInRange: db.prepare(`SELECT ${CHUNK_COLS} FROM chunks WHERE stream = ? AND min_ts < ? AND max_ts >= ? ORDER BY min_ts, id`),
      anyChunkInRange: db.prepare('SELECT 1 FROM chunks WHERE stream = ? AND min_ts < ? AND max_ts >= ? LIMIT 1'),
      bloom: db.prepare('SELECT bloom FROM chunks WHERE id = ?').pluck(),
      byLabel: db.prepare('SELECT stream FROM label_index WHERE tenant = ? AND name = ? AND value = ?').pluck(),
      deleteChunk: db.prepare('DELETE FROM chunks WHERE id = ?'),
      maxSegment: db.prepare('SELECT COALESCE(MAX(id), 0) FROM segments').pluck(),
      stats: db.prepare('SELECT COUNT(*) AS chunks, COALESCE(SUM(length), 0) AS bytes FROM chunks'),
    };
  }

  loadStreams(): StreamRow[] {
    const rows = this.db.prepare('SELECT id, tenant, key, labels, flushed_lsn AS flushedLsn FROM streams').all() as Array<{
      id: number; tenant: string; key: string; labels: string; flushedLsn: number;
    }>;
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels) as Labels, labelsJson: r.labels }));
  }

  /** Creates a stream and its label index rows in one transaction; returns its id. */
  insertStream(tenant: string, key: string, labels: Labels, labelsJson: string): number {
    return this.db.transaction(() => {
      this.q.insertTenant.run(tenant);
      const id = Number(this.q.insertStream.run(tenant, key, labelsJson).lastInsertRowid);
      for (const [name, value] of Object.entries(labels)) this.q.insertLabel.run(tenant, name, value, id);
      return id;
    })();
  }

  nextSegmentId(): number {
    return (this.q.maxSegment.get() as number) + 1;
  }

  /**
   * Records a fsynced segment file and its chunks, deletes `replaced` chunks (compaction) and
   * advances streams' flushed LSNs, all in one transaction.
   */
  commitSegment(segment: number, tenant: string, bytes: number, chunks: ReadonlyArray<NewChunk>, flushed: ReadonlyMap<number, number>, replaced: ReadonlyArray<number> = []): void {
    this.db.transaction(() => {
      this.q.insertSegment.run(segment, tenant, bytes);
      for (const c of chunks) this.q.insertChunk.run({ ...c, tenant, segment });
      for (const id of replaced) this.q.deleteChunk.run(id);
      for (const [stream, lsn] of flushed) this.q.setFlushed.run(lsn, stream, lsn);
    })();
  }

  chunksInRange(stream: number, start: Micros, end: Micros): ChunkMeta[] {
    return this.q.chunksInRange.all(stream, end, start) as ChunkMeta[];
  }

  hasChunkInRange(stream: number, start: Micros, end: Micros): boolean {
    return this.q.anyChunkInRange.get(stream, end, start) !== undefined;
  }

  bloom(chunk: number): Buffer | undefined {
    return this.q.bloom.get(chunk) as Buffer | undefined;
  }

  streamsWithLabel(tenant: string, name: string, value: string): number[] {
    return this.q.byLabel.all(tenant, name, value) as number[];
  }

  stats(): { chunks: number; bytes: number } {
    return this.q.stats.get() as { chunks: number; bytes: number };
  }

  tenants(): string[] {
    return this.db.prepare('SELECT name FROM tenants').pluck().all() as string[];
  }

  /** Segments of a tenant with the newest entry each holds, oldest first. */
  segmentsOf(tenant: string): SegmentRow[] {
    return this.db
      .prepare(`SELECT s.id, s.tenant, s.bytes, COALESCE(MAX(c.max_ts), 0) AS maxTs FROM segments s LEFT JOIN chunks c ON c.segment = s.id
        WHERE s.tenant = ? GROUP BY s.id ORDER BY maxTs, s.id`)
      .all(tenant) as SegmentRow[];
  }

  allSegmentIds(): number[] {
    return this.db.prepare('SELECT id FROM segments').pluck().all() as number[];
  }

  /** Deletes a tenant's chunks whose newest entry is older than `cutoff`; returns how many. */
  deleteChunksOlderThan(tenant: string, cutoff: Micros): number {
    return this.db.prepare('DELETE FROM chunks WHERE tenant = ? AND max_ts < ?').run(tenant, cutoff).changes;
  }

  /** Deletes segment rows (and their chunks) in one transaction. */
  deleteSegments(ids: ReadonlyArray<number>): number {
    let chunks = 0;
    this.db.transaction(() => {
      for (const id of ids) {
        chunks += this.db.prepare('DELETE FROM chunks WHERE segment = ?').run(id).changes;
        this.db.prepare('DELETE FROM segments WHERE id = ?').run(id);
      }
    })();
    return chunks;
  }

  /** Segment ids that no chunk references any more. */
  emptySegments(): number[] {
    return this.db.prepare('SELECT id FROM segments s WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.segment = s.id)').pluck().all() as number[];
  }

  /** Per stream of a tenant, its chunks smaller than `maxRaw` raw bytes, ordered by time. */
  smallChunks(tenant: string, maxRaw: number): Map<number, ChunkMeta[]> {
    const rows = this.db
      .prepare(`SELECT ${CHUNK_COLS} FROM chunks WHERE tenant = ? AND raw_bytes < ? ORDER BY stream, min_ts, id`)
      .all(tenant, maxRaw) as ChunkMeta[];
    const out = new Map<number, ChunkMeta[]>();
    for (const r of rows) {
      let l = out.get(r.stream);
      if (!l) out.set(r.stream, (l = []));
      l.push(r);
    }
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
