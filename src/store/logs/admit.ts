/**
 * Admission of an append batch: per stream, the limits (limits.ts), the tenant's active-stream
 * budget and stream lookup/creation. Everything refused is counted and described; nothing here
 * throws on bad input.
 */
import type { LogBatch } from '../../core/events.js';
import { formatLabels, sortedPairs, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { AppendRejection } from '../interfaces.js';
import type { ResolvedLogStoreConfig } from './config.js';
import type { StreamState } from './head.js';
import { checkStream } from './limits.js';
import type { StoreMetrics } from './metrics.js';
import type { StreamSet } from './stream-set.js';
import type { WalStream } from './wal-codec.js';

export interface AdmitContext {
  cfg: ResolvedLogStoreConfig;
  now: Micros;
  streams: StreamSet;
  metrics: StoreMetrics;
  /** Creates (in the catalog) a stream of the append's tenant. */
  createStream(labels: Labels, key: string): StreamState;
}

/** Splits a batch into what will be written (per stream) and what is refused, with reasons. */
export function admitBatch(tenant: string, batch: LogBatch, ctx: AdmitContext): { rejected: AppendRejection[]; writes: Array<{ st: StreamState; ws: WalStream }> } {
  const rejected: AppendRejection[] = [];
  const writes: Array<{ st: StreamState; ws: WalStream }> = [];
  const badTenant = typeof tenant !== 'string' || tenant === '' || tenant.length > 150;
  for (let i = 0; i < batch.streams.length; i++) {
    const s = batch.streams[i];
    if (!s || typeof s.labels !== 'object' || s.labels === null) {
      rejected.push({ stream: i, count: Array.isArray(s?.lines) ? s.lines.length : 0, code: 'BAD_REQUEST', reason: `stream ${i}: labels must be an object` });
      ctx.metrics.rejectedEntries.inc({ reason: 'bad_labels' }, rejected[rejected.length - 1]?.count ?? 0);
      continue;
    }
    if (badTenant) {
      const count = Array.isArray(s.lines) ? s.lines.length : 0;
      rejected.push({ stream: i, count, code: 'BAD_REQUEST', reason: `tenant ${JSON.stringify(tenant)}: must be 1-150 characters` });
      ctx.metrics.rejectedEntries.inc({ reason: 'bad_tenant' }, count);
      continue;
    }
    const checked = checkStream(s, i, ctx.cfg, ctx.now);
    for (const r of checked.rejections) {
      ctx.metrics.rejectedEntries.inc({ reason: r.why }, r.count);
      rejected.push({ stream: r.stream, count: r.count, code: r.code, reason: r.reason });
    }
    if (checked.ts.length === 0) continue;
    const labels: Labels = Object.fromEntries(sortedPairs(s.labels));
    const key = formatLabels(labels);
    let st = ctx.streams.get(tenant, key);
    if (!st || (!st.head && st.sealed.length === 0)) {
      // Like Loki, the limit is on active streams (with entries in memory), so streams that went
      // quiet (or expired) do not lock a tenant out for good.
      const active = ctx.streams.activeIn(tenant) + writes.filter((w) => w.st.tenant === tenant && !w.st.head && w.st.sealed.length === 0 && w.st !== st).length;
      if (active >= ctx.cfg.maxStreamsPerTenant) {
        ctx.metrics.rejectedEntries.inc({ reason: 'too_many_streams' }, checked.ts.length);
        rejected.push({
          stream: i, count: checked.ts.length, code: 'LIMIT_EXCEEDED',
          reason: `stream ${key}: tenant ${tenant} already has ${active} active streams, the limit is ${ctx.cfg.maxStreamsPerTenant}`,
        });
        continue;
      }
      st ??= ctx.createStream(labels, key);
    }
    const ws: WalStream = { labels: st.labels, labelsJson: st.labelsJson, ts: checked.ts, lines: checked.lines };
    if (checked.fields) ws.fields = checked.fields;
    writes.push({ st, ws });
  }
  return { rejected, writes };
}
