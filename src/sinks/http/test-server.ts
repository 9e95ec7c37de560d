/**
 * A scripted node:http server for the network sinks' tests: records every request (headers and
 * raw body) and answers with whatever the test queued (status, headers, body), 204 by default.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this long (timeout tests). */
  delayMs?: number;
}

/** `tls`: serve HTTPS with the testdata server certificate; `clientCert` requires a client certificate signed by the test CA. */
export interface ScriptedOptions {
  tls?: { clientCert?: boolean };
}

/** A file of the test certificates in testdata/. */
export function testCert(name: 'ca.pem' | 'server.pem' | 'server.key' | 'client.pem' | 'client.key'): string {
  return new URL(`./testdata/${name}`, import.meta.url).pathname;
}

export interface ScriptedServer {
  url: string;
  requests: Recorded[];
  /** Answers used in order; when empty, 204. */
  answers: Answer[];
  /** Client certificate subjects CNs seen (TLS with clientCert). */
  clientNames: string[];
  close(): Promise<void>;
}

export async function scriptedServer(o: ScriptedOptions = {}): Promise<ScriptedServer> {
  const requests: Recorded[] = [];
  const answers: Answer[] = [];
  const clientNames: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const sock = req.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
    const cn = sock.getPeerCertificate?.().subject?.CN;
    if (cn) clientNames.push(cn);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const a = answers.shift() ?? { status: 204 };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  };
  const server: Server = o.tls
    ? createTlsServer(
        {
          cert: readFileSync(testCert('server.pem')),
          key: readFileSync(testCert('server.key')),
          ...(o.tls.clientCert ? { ca: readFileSync(testCert('ca.pem')), requestCert: true, rejectUnauthorized: true } : {}),
        },
        handler,
      )
    : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    answers,
    clientNames,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
