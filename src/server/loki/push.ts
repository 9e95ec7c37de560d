/**
 * POST /loki/api/v1/push: Loki's push API (JSON, optionally gzip/deflate, or snappy protobuf).
 * Answers 204 only after the appender resolved (entries durable); a partly bad request stores
 * its valid streams and entries and answers 400 listing every refused part, as Loki does.
 */
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVigilError, VigilError, errorMessage } from '../../core/errors.js';
import { nowMicros, type Micros } from '../../core/time.js';
import type { LogAppender } from '../../store/interfaces.js';
import { sendLokiError } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import { tenantOf } from '../tenant.js';
import { decodePushJson, type DecodedStream } from './push-decode.js';
import { decodePushProto } from './push-proto.js';
import { validatePush, type PushLimits, type PushProblem } from './push-validate.js';
import { snappyUncompress } from './snappy-codec.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface PushPluginOptions {
  appender: LogAppender;
  metrics: ServerMetrics;
  limits: PushLimits & { maxBodyBytes: number };
  multiTenant: boolean;
  /** The clock for the past/future limits (tests pin it). */
  now?: () => Micros;
}

/** At most this many refusals are listed in one answer; the rest are summarised. */
const MAX_LISTED_PROBLEMS = 20;

function reject(metrics: ServerMetrics, reason: string, err: VigilError): VigilError {
  metrics.pushRejected.inc({ reason });
  return err;
}

/** Undoes Content-Encoding within the body limit (the limit bounds the decompressed size too). */
async function decodeContentEncoding(request: FastifyRequest, body: Buffer, max: number, metrics: ServerMetrics): Promise<Buffer> {
  const enc = String(request.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  const fn = enc === 'gzip' || enc === 'x-gzip' ? gunzipAsync : enc === 'deflate' ? inflateAsync : undefined;
  if (!fn) {
    throw reject(metrics, 'unsupported_media_type', new VigilError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${enc}" is not supported: use gzip, deflate or none`));
  }
  try {
    return await fn(body, { maxOutputLength: max });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw reject(metrics, 'too_large', new VigilError('PAYLOAD_TOO_LARGE', `decompressed body is larger than the limit of ${max} bytes`));
    }
    throw reject(metrics, 'malformed', new VigilError('BAD_REQUEST', `malformed ${enc} body: ${errorMessage(e)}`));
  }
}

async function decodeBody(request: FastifyRequest, body: Buffer, opts: PushPluginOptions): Promise<DecodedStream[]> {
  const media = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const isJson = media === 'application/json';
  const isProto = media === 'application/x-protobuf' || media === '';
  if (!isJson && !isProto) {
    throw reject(opts.metrics, 'unsupported_media_type', new VigilError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${media}" is not supported: use application/json or application/x-protobuf (snappy)`));
  }
  const max = opts.limits.maxBodyBytes;
  const raw = await decodeContentEncoding(request, body, max, opts.metrics);
  try {
    if (isJson) return decodePushJson(raw);
    return decodePushProto(await snappyUncompress(raw, max));
  } catch (e) {
    if (isVigilError(e)) throw reject(opts.metrics, e.code === 'PAYLOAD_TOO_LARGE' ? 'too_large' : 'malformed', e);
    throw e;
  }
}

function problemText(problems: PushProblem[]): string {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.message);
  if (problems.length > MAX_LISTED_PROBLEMS) lines.push(`... and ${problems.length - MAX_LISTED_PROBLEMS} more refused parts`);
  return lines.join('\n');
}

async function handlePush(opts: PushPluginOptions, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const tenant = tenantOf(request, opts.multiTenant);
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const streams = await decodeBody(request, body, opts);
  let validated;
  try {
    validated = validatePush(streams, opts.limits, (opts.now ?? nowMicros)());
  } catch (e) {
    if (isVigilError(e)) throw reject(opts.metrics, String(e.details?.reason ?? 'limit'), e);
    throw e;
  }
  const { batch, origins, problems } = validated;
  if (batch.streams.length > 0) {
    let result;
    try {
      result = await opts.appender.append(tenant, batch);
    } catch (e) {
      // Nothing was made durable: a 5xx makes Promtail/Alloy/Vigil agents retry the whole push.
      request.log.warn({ error: errorMessage(e), tenant }, 'push append failed');
      if (isVigilError(e) && e.status < 500) throw e;
      throw new VigilError('UNAVAILABLE', `store unavailable, retry later: ${errorMessage(e)}`);
    }
    opts.metrics.pushedEntries.inc(result.accepted);
    for (const r of result.rejected) {
      const where = origins[r.stream] ?? `batch stream ${r.stream}`;
      problems.push({ reason: r.code === 'LIMIT_EXCEEDED' ? 'store_limit' : 'store_bad_request', message: `${where}: ${r.reason}`, entries: r.count });
    }
  }
  if (problems.length === 0) return reply.code(204).send();
  for (const p of problems) opts.metrics.pushRejected.inc({ reason: p.reason }, p.entries);
  return sendLokiError(reply, new VigilError('BAD_REQUEST', problemText(problems)));
}

/** Registers the push route in its own context, with a raw-Buffer body parser bounded by maxBodyBytes. */
export async function pushPlugin(app: FastifyInstance, opts: PushPluginOptions): Promise<void> {
  app.addHook('onError', async (_request, _reply, error) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') opts.metrics.pushRejected.inc({ reason: 'too_large' });
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.limits.maxBodyBytes }, (_req, body, done) => done(null, body));
  app.post('/loki/api/v1/push', { bodyLimit: opts.limits.maxBodyBytes }, (request, reply) => handlePush(opts, request, reply));
}
