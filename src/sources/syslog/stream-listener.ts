/**
 * The TCP and TLS listeners: one framer, intake and flusher per connection; reading pauses while
 * that connection's batch is being emitted (backpressure reaches the sender through TCP).
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { SourceContext } from '../../components/contract.js';
import { Flusher, type FlushLimits } from './flusher.js';
import { SyslogFramer } from './framer.js';
import { Intake, plainIp } from './intake.js';
import type { Zone } from './timestamps.js';

export interface StreamListenerOptions {
  host: string;
  port: number;
  labels: Record<string, string>;
  zone: Zone;
  maxMessageBytes: number;
  maxConnections: number;
  /** 0 = never close idle connections. */
  idleTimeoutMs: number;
  limits: FlushLimits;
  /** Set for TLS. */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
}

class Connection {
  readonly flusher: Flusher;
  private readonly intake: Intake;
  private readonly framer: SyslogFramer;
  private readonly ip: string;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    ctx: SourceContext,
    opts: StreamListenerOptions,
    private readonly onClosed: (c: Connection) => void,
  ) {
    this.ip = plainIp(socket.remoteAddress);
    this.intake = new Intake(ctx, opts.zone);
    this.flusher = new Flusher(ctx, opts.labels, opts.limits, {
      busy: () => socket.pause(),
      idle: () => {
        if (!this.closed) socket.resume();
      },
    });
    const ip = this.ip;
    const intake = this.intake;
    const flusher = this.flusher;
    this.framer = new SyslogFramer(opts.maxMessageBytes, {
      frame: (buf, start, end, truncated) => intake.frame(buf, start, end, truncated, ip, flusher),
      problem: (kind, detail) => intake.problem(kind, detail, ip),
    });
    socket.on('data', (chunk: Buffer) => {
      intake.begin();
      this.framer.push(chunk);
      intake.report();
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (err) => ctx.logger.debug({ error: err.message, source_ip: ip }, 'syslog connection error'));
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs);
      socket.on('timeout', () => {
        // A connection paused by backpressure is waiting on us, not idle.
        if (flusher.pending) socket.setTimeout(opts.idleTimeoutMs);
        else {
          ctx.logger.debug({ source_ip: ip }, 'closing idle syslog connection');
          socket.destroy();
        }
      });
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.intake.begin();
    this.framer.end();
    this.intake.report();
    this.flusher.flush();
    this.onClosed(this);
  }

  destroy(): void {
    this.socket.destroy();
    this.finish();
  }
}

/** Listens for syslog over TCP or TLS until `close`. */
export class StreamListener {
  private server: net.Server | undefined;
  private readonly conns = new Set<Connection>();
  /** Connections closed but whose last batch may still be in flight. */
  private readonly draining = new Set<Promise<void>>();

  constructor(
    private readonly ctx: SourceContext,
    private readonly opts: StreamListenerOptions,
  ) {}

  /** Binds the port; rejects with the socket error (e.g. EADDRINUSE) or an unreadable cert file. */
  async listen(): Promise<net.AddressInfo> {
    const o = this.opts;
    const onConn = (socket: net.Socket) => this.accept(socket);
    let server: net.Server;
    if (o.tls) {
      const [cert, key, ca] = await Promise.all([
        readFile(o.tls.certFile),
        readFile(o.tls.keyFile),
        o.tls.clientCaFile ? readFile(o.tls.clientCaFile) : Promise.resolve(undefined),
      ]);
      server = tls.createServer({ cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined }, onConn);
      server.on('tlsClientError', (err) => {
        this.ctx.metrics.error('receiving');
        this.ctx.logger.warn({ error: err.message }, 'syslog TLS handshake failed');
      });
    } else server = net.createServer(onConn);
    server.on('error', (err) => this.ctx.logger.error({ error: err.message }, 'syslog listener error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: o.host, port: o.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as net.AddressInfo;
  }

  private accept(socket: net.Socket): void {
    if (this.conns.size >= this.opts.maxConnections) {
      this.ctx.metrics.error('receiving');
      this.ctx.logger.warn({ source_ip: plainIp(socket.remoteAddress), max_connections: this.opts.maxConnections }, 'syslog connection refused: too many connections');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn = new Connection(socket, this.ctx, this.opts, (c) => {
      this.conns.delete(c);
      const d = c.flusher.drain().finally(() => {
        c.flusher.dispose();
        this.draining.delete(d);
      });
      this.draining.add(d);
    });
    this.conns.add(conn);
  }

  /** Open connections (for tests and metrics). */
  get connections(): number {
    return this.conns.size;
  }

  /** Stops accepting, closes connections, then waits for their last batches. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const c of [...this.conns]) c.destroy();
    await closed;
    while (this.draining.size > 0) await Promise.allSettled([...this.draining]);
  }
}
