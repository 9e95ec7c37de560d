/**
 * Request body helpers shared by the HTTP push sources: Content-Encoding decoding bounded by the
 * body limit, and the error type their dialects (Elasticsearch, OTLP, plain) turn into answers.
 */
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Why a request was refused as a whole; each source renders it in its own API's error shape. */
export type HttpProblem = 'bad_request' | 'too_large' | 'unsupported_media_type' | 'unauthorized' | 'saturated' | 'unavailable' | 'not_found';

const STATUS: Record<HttpProblem, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  saturated: 429,
  unavailable: 503,
};

/** Thrown by decoders and the listener; carries the HTTP status and a message naming where. */
export class HttpSourceError extends Error {
  readonly status: number;
  constructor(readonly problem: HttpProblem, message: string, readonly retryAfterSeconds?: number) {
    super(message);
    this.name = 'HttpSourceError';
    this.status = STATUS[problem];
  }
}

/**
 * Undoes `Content-Encoding` (gzip, x-gzip, deflate, identity). The decoded size is bounded by
 * `max` too, so a zip bomb costs at most `max` bytes. Throws HttpSourceError: too_large,
 * unsupported_media_type for other encodings, bad_request for a truncated or corrupt stream.
 */
export async function decodeContentEncoding(encoding: string | string[] | undefined, body: Buffer, max: number): Promise<Buffer> {
  const enc = String(encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  const fn = enc === 'gzip' || enc === 'x-gzip' ? gunzipAsync : enc === 'deflate' ? inflateAsync : undefined;
  if (!fn) throw new HttpSourceError('unsupported_media_type', `Content-Encoding "${enc}" is not supported: use gzip, deflate or none`);
  try {
    return await fn(body, { maxOutputLength: max });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new HttpSourceError('too_large', `decompressed body is larger than the limit of ${max} bytes`);
    }
    throw new HttpSourceError('bad_request', `malformed ${enc} body: ${(e as Error).message}`);
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return String(header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Text of a UTF-8 body, refusing invalid UTF-8 with the byte offset of the first bad sequence
 * (a silent U+FFFD would store different bytes than the sender meant).
 */
export function utf8Text(body: Buffer): string {
  const text = body.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  const bad = firstInvalidUtf8(body);
  if (bad < 0) return text; // the sender sent U+FFFD itself
  throw new HttpSourceError('bad_request', `body is not valid UTF-8 at byte offset ${bad}`);
}

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}
