/** Sends one DNS query over UDP or TCP and waits for the matching answer. */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { openTcp } from '../shared/connect.js';

export interface DnsExchange {
  response: Buffer;
  connectSeconds: number;
  requestSeconds: number;
}

/** UDP: the first datagram whose id matches; others (late answers to old queries) are ignored. */
export function queryUdp(address: string, family: 4 | 6, port: number, query: Buffer, signal: AbortSignal): Promise<DnsExchange> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(family === 6 ? 'udp6' : 'udp4');
    const t0 = performance.now();
    let tSent = t0;
    const id = query.readUInt16BE(0);
    const finish = (err: Error | undefined, res?: DnsExchange): void => {
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('message');
      sock.on('error', () => {});
      sock.close();
      if (err) reject(err); else resolve(res as DnsExchange);
    };
    const onAbort = (): void => finish(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // The ICMP "port unreachable" surfaces as a recvmsg error; name the server, as TCP errors do.
    sock.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? new Error(`udp ECONNREFUSED ${address}:${port}`) : err));
    sock.on('message', (msg) => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      finish(undefined, { response: msg, connectSeconds: (tSent - t0) / 1000, requestSeconds: (performance.now() - tSent) / 1000 });
    });
    sock.connect(port, address, () => {
      tSent = performance.now();
      sock.send(query, (err) => { if (err) finish(err); });
    });
  });
}

/** TCP: 2-byte length framing (RFC 1035 4.2.2). */
export async function queryTcp(address: string, port: number, query: Buffer, signal: AbortSignal): Promise<DnsExchange> {
  const t0 = performance.now();
  const sock: Socket = await openTcp(address, port, signal);
  const tConn = performance.now();
  try {
    return await new Promise<DnsExchange>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let have = 0;
      const cleanup = (): void => { signal.removeEventListener('abort', onAbort); };
      const onAbort = (): void => { cleanup(); reject(new Error('aborted')); };
      signal.addEventListener('abort', onAbort, { once: true });
      sock.on('error', (err) => { cleanup(); reject(err); });
      sock.on('end', () => { cleanup(); reject(new Error(`connection closed after ${have} bytes of the answer`)); });
      sock.on('data', (c: Buffer) => {
        chunks.push(c);
        have += c.length;
        const all = Buffer.concat(chunks, have);
        if (have >= 2 && have >= 2 + all.readUInt16BE(0)) {
          cleanup();
          resolve({ response: all.subarray(2, 2 + all.readUInt16BE(0)), connectSeconds: (tConn - t0) / 1000, requestSeconds: (performance.now() - tConn) / 1000 });
        }
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
  } finally {
    sock.destroy();
  }
}
