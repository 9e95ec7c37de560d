/**
 * Encodes a batch as Loki's snappy-compressed protobuf PushRequest, with the same message types
 * the server decodes (src/server/loki/push-proto.ts); `fields` become structuredMetadata.
 */
import type { LogBatch } from '../../core/events.js';
import { formatLabels, type Labels } from '../../core/labels.js';
import { PushRequestType } from '../../server/loki/push-proto.js';
import { snappyCompress } from '../../server/loki/snappy-codec.js';

interface PbEntry {
  timestamp: { seconds: number; nanos: number };
  line: string;
  structuredMetadata?: Array<{ name: string; value: string }>;
}

/**
 * The snappy-compressed PushRequest of `batch`. `extra` labels are added to every stream; a
 * stream's own label of the same name wins (the entry's origin is more specific than the config).
 */
export async function encodePush(batch: LogBatch, extra: Labels): Promise<Buffer> {
  const hasExtra = Object.keys(extra).length > 0;
  const streams = batch.streams.map((s) => {
    const entries: PbEntry[] = new Array<PbEntry>(s.lines.length);
    for (let i = 0; i < s.lines.length; i++) {
      const us = s.ts[i] ?? 0;
      const seconds = Math.floor(us / 1_000_000);
      const e: PbEntry = { timestamp: { seconds, nanos: (us - seconds * 1_000_000) * 1000 }, line: s.lines[i] ?? '' };
      const f = s.fields?.[i];
      if (f) {
        const sm: Array<{ name: string; value: string }> = [];
        for (const k in f) sm.push({ name: k, value: f[k] ?? '' });
        if (sm.length > 0) e.structuredMetadata = sm;
      }
      entries[i] = e;
    }
    return { labels: formatLabels(hasExtra ? { ...extra, ...s.labels } : s.labels), entries };
  });
  const raw = PushRequestType.encode(PushRequestType.fromObject({ streams })).finish();
  return snappyCompress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
}
