/**
 * One HTTP exchange on a fresh connection (no keep-alive: each probe measures a full connect, as
 * blackbox_exporter does), with per-phase timings taken from socket events.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';

/** Body bytes kept for matching; the rest is counted, not stored. */
export const MAX_KEPT_BODY = 16 * 1024 * 1024;

export interface ExchangeRequest {
  url: URL;
  /** The resolved address to connect to (resolution is timed by the caller). */
  address: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  tls: ConnectionOptions;
  signal: AbortSignal;
  /** Called with the live TLS socket when the response starts (certificate facts are read then). */
  onTls?: (socket: TLSSocket) => void;
}

export interface ExchangeResult {
  status: number;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** Decoded (uncompressed) body, at most MAX_KEPT_BODY bytes. */
  body: Buffer;
  /** Bytes on the wire after transfer encoding (compressed when content-encoded). */
  wireBytes: number;
  uncompressedBytes: number;
  tls: boolean;
  connectSeconds: number;
  tlsSeconds: number;
  processingSeconds: number;
  transferSeconds: number;
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip': case 'x-gzip': return createGunzip();
    case 'deflate': return createInflate();
    case 'br': return createBrotliDecompress();
    default: return undefined;
  }
}

/**
 * Performs the exchange. Rejects with the socket/TLS/parser error (or the abort) after destroying
 * the request; resolves once the whole body was read and the socket is closed.
 */
export function exchange(req: ExchangeRequest): Promise<ExchangeResult> {
  return new Promise((resolve, reject) => {
    const https = req.url.protocol === 'https:';
    const hostname = req.url.hostname.replace(/^\[|\]$/g, '');
    const t0 = performance.now();
    let tConnect = t0;
    let tSecure = 0;
    let tResponse = 0;
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      r.destroy();
      reject(err);
    };
    const headers: Record<string, string> = { ...req.headers };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.host = req.url.host;
    if (req.body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = String(req.body.length);
    const common = {
      host: req.address,
      port: req.url.port || (https ? 443 : 80),
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method,
      headers,
      agent: false as const,
      signal: req.signal,
    };
    const r = https
      ? httpsRequest({
        ...common,
        ...req.tls,
        // SNI and the name check use the URL's host; an IP literal is checked against IP SANs.
        servername: req.tls.servername ?? (isIP(hostname) ? undefined : hostname),
      })
      : httpRequest(common);
    r.on('socket', (socket) => {
      socket.once('connect', () => { tConnect = performance.now(); });
      if (https) socket.once('secureConnect', () => { tSecure = performance.now(); });
    });
    r.on('error', fail);
    r.on('response', (res: IncomingMessage) => {
      tResponse = performance.now();
      if (https) {
        // A certificate Node cannot parse must fail this probe, not escape as an uncaught exception.
        try { req.onTls?.(res.socket as TLSSocket); } catch (err) { fail(err); return; }
      }
      const decoder = decoderFor(res.headers['content-encoding']);
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let wireBytes = 0;
      let uncompressed = 0;
      const keep = (chunk: Buffer): void => {
        uncompressed += chunk.length;
        if (keptBytes < MAX_KEPT_BODY) {
          const part = chunk.subarray(0, MAX_KEPT_BODY - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
      };
      res.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        if (decoder) decoder.write(chunk);
        else keep(chunk);
      });
      const cutShort = (): Error => new Error(`response body cut short by the server after ${wireBytes} bytes`);
      // Node reports a connection dropped mid-body as an 'aborted' error (or only as an incomplete close).
      res.on('error', (e: Error) => fail(!req.signal.aborted && e.message === 'aborted' ? cutShort() : e));
      res.on('close', () => { if (!res.complete) fail(cutShort()); });
      if (decoder) {
        decoder.on('data', keep);
        decoder.on('error', (e: Error) => fail(new Error(`cannot decode ${res.headers['content-encoding']} body: ${e.message}`)));
      }
      const done = (): void => {
        if (settled) return;
        settled = true;
        const tEnd = performance.now();
        const ready = tSecure || tConnect;
        resolve({
          status: res.statusCode ?? 0,
          httpVersion: res.httpVersion,
          headers: res.headers,
          body: Buffer.concat(kept, keptBytes),
          wireBytes,
          uncompressedBytes: decoder ? uncompressed : wireBytes,
          tls: https,
          connectSeconds: (tConnect - t0) / 1000,
          tlsSeconds: tSecure ? (tSecure - tConnect) / 1000 : 0,
          processingSeconds: (tResponse - ready) / 1000,
          transferSeconds: (tEnd - tResponse) / 1000,
        });
        res.socket?.destroy();
      };
      res.on('end', () => {
        if (decoder) { decoder.once('end', done); decoder.end(); } else done();
      });
    });
    r.end(req.body);
  });
}
