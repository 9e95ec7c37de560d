/**
 * POST /api/v1/write: Prometheus remote write 1.0 (snappy-compressed protobuf WriteRequest).
 * Answers 204 once the metrics store made the samples durable. Like Prometheus's own receiver,
 * refusals are answered 400 in text/plain (a sender does not retry a 4xx): malformed bodies with
 * where decoding failed, out-of-order and duplicate samples with Prometheus's texts. Unlike
 * Prometheus (which rolls the whole request back), the samples that were accepted stay stored.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { MetricsAppendSeries, MetricsStore } from '../../store/metrics/index.js';
import { snappyUncompress } from '../loki/snappy-codec.js';
import type { ServerMetrics } from '../metrics.js';
import { tenantOf } from '../tenant.js';
import { decodeWriteRequest } from './remote-write-decode.js';

export interface RemoteWriteOptions {
  store: MetricsStore;
  metrics: ServerMetrics;
  multiTenant: boolean;
  /** Largest body, compressed and decompressed. */
  maxBodyBytes: number;
}

/** At most this many refusals are listed in one answer; the rest are summarised. */
const MAX_LISTED = 10;

/** Go's http.Error: the message as text/plain with a trailing newline. */
function textError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(`${message}\n`);
}

/** Registers the remote write receiver. */
export async function remoteWritePlugin(app: FastifyInstance, opts: RemoteWriteOptions): Promise<void> {
  const parse = (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, parse);
  // Some senders (older agents, curl tests) omit or misstate the type; the body is still snappy protobuf.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, parse);

  app.post('/api/v1/write', async (request, reply) => {
    const refuse = (reason: string, status: number, message: string) => {
      opts.metrics.pushRejected.inc({ reason: `remote_write_${reason}` });
      return textError(reply, status, message);
    };
    let tenant: string;
    try {
      tenant = tenantOf(request, opts.multiTenant);
    } catch (e) {
      if (isVigilError(e)) return refuse('bad_tenant', 400, e.message);
      throw e;
    }
    const body = request.body;
    if (!Buffer.isBuffer(body)) return refuse('malformed', 415, 'remote write expects a snappy-compressed protobuf body (Content-Type: application/x-protobuf)');
    // Remote write 2.0 senders name their message in Content-Type; only 1.0 is decoded here, and
    // Prometheus's 415 makes a 2.0 sender fall back to 1.0.
    const proto = /;\s*proto=([^;\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
    if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
      return refuse('unsupported_media_type', 415, `${proto} protobuf message is not accepted by this server; accepted [prometheus.WriteRequest]`);
    }
    const enc = String(request.headers['content-encoding'] ?? 'snappy').trim().toLowerCase();
    if (enc !== 'snappy' && enc !== '') return refuse('malformed', 415, `unsupported compression: ${enc}. Only snappy is supported`);
    let decoded;
    try {
      decoded = decodeWriteRequest(await snappyUncompress(body, opts.maxBodyBytes));
    } catch (e) {
      if (isVigilError(e)) return refuse(e.code === 'PAYLOAD_TOO_LARGE' ? 'too_large' : 'malformed', e.status, e.message);
      throw e;
    }
    const problems: string[] = [];
    const bad = new Map(decoded.badSeries.map((b) => [b.index, b.reason]));
    const batch: MetricsAppendSeries[] = [];
    const batchIndex: number[] = [];
    decoded.series.forEach((s, i) => {
      const why = bad.get(i);
      if (why !== undefined) {
        problems.push(`timeseries[${i}]: ${why} (${s.t.length} samples refused)`);
        return;
      }
      if (s.t.length === 0) return;
      batch.push({ labels: s.labels, t: s.t, v: s.v });
      batchIndex.push(i);
    });
    if (batch.length > 0) {
      let res;
      try {
        res = await opts.store.append(tenant, batch);
      } catch (e) {
        throw new VigilError('UNAVAILABLE', 'metrics store could not make the samples durable', undefined, { cause: e });
      }
      for (const r of res.rejected) {
        const s = batch[r.series];
        const labels = s ? JSON.stringify(s.labels) : '';
        problems.push(`${r.reason} (timeseries[${batchIndex[r.series] ?? r.series}] ${labels}: ${r.count} samples refused)`);
      }
    }
    if (problems.length > 0) {
      const listed = problems.slice(0, MAX_LISTED);
      if (problems.length > MAX_LISTED) listed.push(`and ${problems.length - MAX_LISTED} more refused series`);
      const reason = problems.some((p) => p.startsWith('out of order')) ? 'out_of_order' : problems.some((p) => p.startsWith('duplicate sample')) ? 'duplicate' : 'invalid';
      return refuse(reason, 400, listed.join('\n'));
    }
    return reply.code(204).send();
  });
}
