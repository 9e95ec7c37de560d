/** The log store's Prometheus metrics (`vigil_store_*`), registered on the registry given to open. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface StoreMetrics {
  appendedEntries: Counter<'tenant'>;
  appendedBytes: Counter;
  rejectedEntries: Counter<'reason'>;
  duplicateEntries: Counter<'tenant'>;
  chunks: Gauge;
  chunkBytes: Gauge;
  walBytes: Gauge;
  streams: Gauge;
  corruptions: Counter<'kind'>;
  fsyncSeconds: Histogram;
  chunksRead: Counter;
  chunksSkipped: Counter<'reason'>;
}

/** Creates the metrics on `registry` (a private one when none is given, so tests may open many stores). */
export function createStoreMetrics(registry: Registry = new Registry()): StoreMetrics {
  const registers = [registry];
  return {
    appendedEntries: new Counter({ name: 'vigil_store_appended_entries_total', help: 'Log entries durably appended.', labelNames: ['tenant'], registers }),
    appendedBytes: new Counter({ name: 'vigil_store_appended_bytes_total', help: 'UTF-8 bytes of log lines durably appended.', registers }),
    rejectedEntries: new Counter({ name: 'vigil_store_rejected_entries_total', help: 'Log entries refused at append, by reason.', labelNames: ['reason'], registers }),
    duplicateEntries: new Counter({
      name: 'vigil_store_duplicate_entries_total',
      help: 'Log entries ignored at append because their stream\'s head already held one with the same timestamp, line and structured metadata (retried pushes).',
      labelNames: ['tenant'],
      registers,
    }),
    chunks: new Gauge({ name: 'vigil_store_chunks', help: 'Chunks in the catalog.', registers }),
    chunkBytes: new Gauge({ name: 'vigil_store_chunk_bytes', help: 'Compressed bytes of the chunks in the catalog.', registers }),
    walBytes: new Gauge({ name: 'vigil_store_wal_bytes', help: 'Bytes of write-ahead log segments on disk.', registers }),
    streams: new Gauge({ name: 'vigil_store_streams', help: 'Streams known to the store (all tenants).', registers }),
    corruptions: new Counter({ name: 'vigil_store_corruptions_total', help: 'Corrupt data found (torn WAL tails, bad WAL records, bad chunks).', labelNames: ['kind'], registers }),
    fsyncSeconds: new Histogram({
      name: 'vigil_store_wal_fsync_duration_seconds',
      help: 'Duration of write-ahead log fsyncs (one per group commit).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    chunksRead: new Counter({ name: 'vigil_store_chunks_read_total', help: 'Chunks read by queries.', registers }),
    chunksSkipped: new Counter({ name: 'vigil_store_chunks_skipped_total', help: 'Chunks a query skipped without reading, by reason.', labelNames: ['reason'], registers }),
  };
}
