/**
 * Raw (block) snappy, as Loki's and Prometheus's protobuf pushes use it. Prefers the native
 * `snappy` module and falls back to pure-JS `snappyjs` when the native build cannot load.
 * The uncompressed length is read from the block header first, so an oversize body is refused
 * before any memory is spent on it.
 */
import { createRequire } from 'node:module';
import { VigilError } from '../../core/errors.js';

interface SnappyImpl {
  name: 'snappy' | 'snappyjs';
  uncompress(buf: Buffer): Promise<Buffer>;
  compress(buf: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);
let impl: SnappyImpl | undefined;

function load(): SnappyImpl {
  if (impl) return impl;
  try {
    const native = require('snappy') as typeof import('snappy');
    impl = {
      name: 'snappy',
      uncompress: async (b) => (await native.uncompress(b, { asBuffer: true })) as Buffer,
      compress: (b) => native.compress(b),
    };
  } catch {
    const js = require('snappyjs') as { uncompress(b: Uint8Array, max?: number): Uint8Array; compress(b: Uint8Array): Uint8Array };
    impl = {
      name: 'snappyjs',
      uncompress: async (b) => Buffer.from(js.uncompress(b)),
      compress: async (b) => Buffer.from(js.compress(b)),
    };
  }
  return impl;
}

/** The uncompressed length from a snappy block's varint header, or undefined when the header is broken. */
export function snappyUncompressedLength(buf: Buffer): number | undefined {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5 && i < buf.length; i++) {
    const b = buf[i] as number;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
  return undefined;
}

/**
 * Decompresses a snappy block of at most `maxBytes` uncompressed bytes.
 * Throws PAYLOAD_TOO_LARGE above the limit and BAD_REQUEST on a corrupt block.
 */
export async function snappyUncompress(buf: Buffer, maxBytes: number): Promise<Buffer> {
  const len = snappyUncompressedLength(buf);
  if (len === undefined) throw new VigilError('BAD_REQUEST', 'malformed snappy block: broken length header');
  if (len > maxBytes) {
    throw new VigilError('PAYLOAD_TOO_LARGE', `decompressed body would be ${len} bytes, the limit is ${maxBytes}`);
  }
  try {
    return await load().uncompress(buf);
  } catch (e) {
    throw new VigilError('BAD_REQUEST', `malformed snappy block: ${(e as Error).message}`);
  }
}

/** Compresses into a snappy block (tests and senders). */
export function snappyCompress(buf: Buffer): Promise<Buffer> {
  return load().compress(buf);
}

/** Which implementation is loaded (for the startup log). */
export function snappyImplementation(): 'snappy' | 'snappyjs' {
  return load().name;
}
