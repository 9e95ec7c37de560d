/**
 * The syslog bench's sender, run as its own process so its CPU is not charged to the receiver:
 * loads the input file whole, prints `ready`, waits for a line on stdin, then writes the bytes
 * over one TCP connection as fast as the receiver takes them (backpressure via 'drain'), closes,
 * and prints `{"bytes", "seconds", "cpu_s"}`.
 * Usage: node --import tsx bench/collect/sender.ts <port> <input file>
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

const SLICE = 256 << 10;

const port = Number(process.argv[2]);
const file = process.argv[3];
if (!Number.isInteger(port) || !file) {
  process.stderr.write('usage: sender.ts <port> <file>\n');
  process.exit(2);
}
const data = readFileSync(file);
process.stdout.write('ready\n');
await new Promise<void>((r) => process.stdin.once('data', () => r()));
process.stdin.pause();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const sock = net.connect({ host: '127.0.0.1', port });
sock.setNoDelay(true);
await new Promise<void>((res, rej) => {
  sock.once('connect', () => res());
  sock.once('error', rej);
});
for (let off = 0; off < data.length; off += SLICE) {
  if (!sock.write(data.subarray(off, Math.min(data.length, off + SLICE)))) {
    await new Promise<void>((res, rej) => {
      sock.once('drain', () => res());
      sock.once('error', rej);
    });
  }
}
await new Promise<void>((res, rej) => {
  sock.once('error', rej);
  sock.end(() => res());
});
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ bytes: data.length, seconds: (performance.now() - t0) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`);
