/**
 * Timed TCP (and TLS) connections for the tcp and tls probes, and a line reader for
 * blackbox_exporter-style query/response dialogues.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** Opens a TCP connection; rejects on error or abort, destroying the socket. */
export function openTcp(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: address, port });
    const cleanup = (): void => { signal.removeEventListener('abort', onAbort); sock.off('error', onError); };
    const onError = (err: Error): void => { cleanup(); sock.destroy(); reject(err); };
    const onAbort = (): void => onError(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', onError);
    sock.once('connect', () => { cleanup(); resolve(sock); });
  });
}

/**
 * Runs a TLS handshake over `socket` (or a fresh connection to address:port when socket is
 * undefined). `opts.rejectUnauthorized` decides whether a bad chain rejects; the socket is
 * destroyed on failure.
 */
export function handshake(opts: ConnectionOptions, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect(opts);
    const cleanup = (): void => { signal.removeEventListener('abort', onAbort); sock.off('error', onError); };
    const onError = (err: Error): void => { cleanup(); sock.destroy(); opts.socket?.destroy(); reject(err); };
    const onAbort = (): void => onError(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', onError);
    sock.once('secureConnect', () => { cleanup(); resolve(sock); });
  });
}

/**
 * Reads `\n`-terminated lines (a trailing `\r` removed) from a socket, one awaited line at a
 * time; `null` at end of stream. Attach before any data can arrive; `detach` before starttls.
 */
export class LineReader {
  private buf = '';
  // UTF-8 banners may split a character across packets.
  private readonly decoder = new StringDecoder('utf8');
  private lines: string[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buf += this.decoder.write(chunk);
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
      this.buf = this.buf.slice(i + 1);
    }
    this.poke();
  };
  private readonly onEnd = (): void => {
    this.buf += this.decoder.end();
    if (this.buf) { this.lines.push(this.buf); this.buf = ''; }
    this.ended = true;
    this.poke();
  };
  private readonly onError = (err: Error): void => { this.error = err; this.ended = true; this.poke(); };
  private readonly onAbort = (): void => this.onError(new Error('aborted'));

  constructor(private readonly socket: Socket, private readonly signal: AbortSignal) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<string | null> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.error) throw this.error;
      if (this.ended) return null;
      await new Promise<void>((r) => { this.wake = r; });
    }
  }

  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
