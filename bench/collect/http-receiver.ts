/**
 * The HTTP pipeline bench's destination, run as its own process so its CPU is not charged to
 * Vigil: counts the NDJSON lines of every POST (newline bytes of the body, plus one for a body not
 * ending in a newline) and answers 200 at once. `GET /count` returns
 * `{"lines", "requests", "bytes", "first_ms", "last_ms"}` (wall-clock ms of the first and last POST).
 * Prints `listening <port>` when ready.
 * Usage: node bench/collect/http-receiver.ts [port]   (0 or none: a free port)
 */
import http from 'node:http';

let lines = 0;
let requests = 0;
let bytes = 0;
let firstMs = 0;
let lastMs = 0;

function countNewlines(b: Buffer): number {
  let n = 0;
  let i = b.indexOf(10);
  while (i >= 0) {
    n++;
    i = b.indexOf(10, i + 1);
  }
  return n;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ lines, requests, bytes, first_ms: firstMs, last_ms: lastMs }));
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  if (firstMs === 0) firstMs = Date.now();
  let n = 0;
  let size = 0;
  let lastByte = 10;
  req.on('data', (c: Buffer) => {
    n += countNewlines(c);
    size += c.length;
    if (c.length > 0) lastByte = c[c.length - 1] as number;
  });
  req.on('end', () => {
    lines += n + (size > 0 && lastByte !== 10 ? 1 : 0);
    bytes += size;
    requests++;
    lastMs = Date.now();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`listening ${typeof a === 'object' && a ? a.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
