/**
 * The probe target of bench/monitors-bench.ts, run in its own process so its CPU is not charged to
 * Vigil: `node --import tsx bench/metrics/http-target.ts <ports>` listens on that many loopback
 * ports, answers every request `200 ok` at once, and prints `listening <p1,p2,...>` when ready.
 * `GET /__count` answers the number of requests served (all ports) as JSON.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const n = Math.max(1, Number(process.argv[2] ?? 4));
let served = 0;
const servers: Server[] = [];
for (let i = 0; i < n; i++) {
  const srv = createServer((req, res) => {
    if (req.url === '/__count') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ served }));
      return;
    }
    served++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  srv.keepAliveTimeout = 65_000;
  servers.push(srv);
}
await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', 1024, r))));
process.stdout.write(`listening ${servers.map((s) => (s.address() as AddressInfo).port).join(',')}\n`);
process.on('SIGTERM', () => process.exit(0));
