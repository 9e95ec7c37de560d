/**
 * The sender's own metrics, named after Prometheus's prometheus_remote_storage_* families and
 * labelled the same way (`remote_name`, `url`).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SenderMetrics {
  samples: Counter<string>;
  failed: Counter<string>;
  retried: Counter<string>;
  dropped: Counter<string>;
  sentBytes: Counter<string>;
  pendingBytes: Gauge<string>;
  shards: Gauge<string>;
  batchDuration: Histogram<string>;
  highestTimestamp: Gauge<string>;
  highestSentTimestamp: Gauge<string>;
}

const LABELS = ['remote_name', 'url'];

/** The families on `registry`, reusing those a previous sender (a reload) registered. */
export function senderMetrics(registry: Registry): SenderMetrics {
  const get = <T>(name: string, make: (registers: Registry[]) => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make([registry]);
  return {
    samples: get('vigil_remote_write_samples_total', (registers) => new Counter({ name: 'vigil_remote_write_samples_total', help: 'Samples the remote end accepted.', labelNames: LABELS, registers })),
    failed: get('vigil_remote_write_failed_samples_total', (registers) => new Counter({ name: 'vigil_remote_write_failed_samples_total', help: 'Samples the remote end refused with a non-recoverable error (4xx other than 429); not retried.', labelNames: LABELS, registers })),
    retried: get('vigil_remote_write_retried_samples_total', (registers) => new Counter({ name: 'vigil_remote_write_retried_samples_total', help: 'Samples sent again after a recoverable error (network, 5xx, 429).', labelNames: LABELS, registers })),
    dropped: get('vigil_remote_write_dropped_samples_total', (registers) => new Counter({ name: 'vigil_remote_write_dropped_samples_total', help: 'Samples never sent: dropped by write_relabel_configs, refused as invalid, buffer full (drop_newest) or a corrupt buffer record.', labelNames: [...LABELS, 'reason'], registers })),
    sentBytes: get('vigil_remote_write_sent_bytes_total', (registers) => new Counter({ name: 'vigil_remote_write_sent_bytes_total', help: 'Compressed request bytes the remote end accepted.', labelNames: LABELS, registers })),
    pendingBytes: get('vigil_remote_write_pending_bytes', (registers) => new Gauge({ name: 'vigil_remote_write_pending_bytes', help: 'Bytes in the disk buffer not yet delivered.', labelNames: LABELS, registers })),
    shards: get('vigil_remote_write_shards', (registers) => new Gauge({ name: 'vigil_remote_write_shards', help: 'Parallel request queues in use.', labelNames: LABELS, registers })),
    batchDuration: get('vigil_remote_write_sent_batch_duration_seconds', (registers) => new Histogram({
      name: 'vigil_remote_write_sent_batch_duration_seconds',
      help: 'Duration of one request to the remote end (successful or not).',
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300],
      registers,
    })),
    highestTimestamp: get('vigil_remote_write_highest_timestamp_seconds', (registers) => new Gauge({ name: 'vigil_remote_write_highest_timestamp_seconds', help: 'Highest sample timestamp appended to the sender (buffered).', labelNames: LABELS, registers })),
    highestSentTimestamp: get('vigil_remote_write_highest_sent_timestamp_seconds', (registers) => new Gauge({ name: 'vigil_remote_write_highest_sent_timestamp_seconds', help: 'Highest sample timestamp the remote end accepted; the lag is the difference to highest_timestamp.', labelNames: LABELS, registers })),
  };
}
