import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpError, httpRequest } from './client.js';

describe('httpRequest', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') {
        // A server that answers far more than any peer would: the client stops reading.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = (): void => {
          while (sent < 4 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => {});
        pump();
        return;
      }
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('busy');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('returns status and body of an error answer without throwing', async () => {
    const res = await httpRequest({ url: `${base}/x` });
    assert.equal(res.status, 503);
    assert.equal(res.text(), 'busy');
  });

  it('refuses a response body larger than the limit, naming the server and the limit', async () => {
    await assert.rejects(httpRequest({ url: `${base}/big`, maxResponseBytes: 1024 * 1024 }), (e: unknown) => e instanceof HttpError && /127\.0\.0\.1.*larger than 1048576 bytes/.test(e.message));
    const res = await httpRequest({ url: `${base}/big` });
    assert.equal(res.body.length, 4 * 1024 * 1024);
  });
});
