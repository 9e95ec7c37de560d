/**
 * The syslog bench's input: newline-framed RFC 3164 or RFC 5424 messages of ~120 bytes from a mix
 * of hosts, apps, facilities and severities, seeded so every run (and every receiver) gets the
 * same bytes. Written to a file the sender process loads whole before it connects.
 */
import { createWriteStream } from 'node:fs';

export type SyslogFormat = '3164' | '5424';

const HOSTS = Array.from({ length: 24 }, (_, i) => `web-${String(i).padStart(2, '0')}.prod`);
const APPS = ['nginx', 'sshd', 'cron', 'postfix', 'api', 'kernel', 'dockerd', 'haproxy'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/v1/items', '/api/v1/users', '/health', '/login', '/static/app.js', '/api/v2/orders'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** xorshift32: fast, seeded, good enough to vary fields. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Facility per app (as a daemon logs to one facility), so streams are host × app × level. */
const APP_FACILITY = [16, 4, 9, 2, 17, 0, 3, 18];
/** Severity mix of a healthy fleet: mostly info, some notice/warning, few errors and debug. */
const SEVERITY_BY_PERCENT = [...Array(80).fill(6), ...Array(8).fill(5), ...Array(6).fill(4), ...Array(4).fill(3), ...Array(2).fill(7)] as number[];

/**
 * One message without its newline; `i` drives time (10 per ms) and the random fields. Each host
 * runs three of the apps, so a batch holds a few hundred streams, not one per line.
 */
export function syslogLine(format: SyslogFormat, i: number, next: () => number, baseMs: number): string {
  const r = next();
  const h = r % HOSTS.length;
  const host = HOSTS[h] as string;
  const a = (h + ([0, 1, 3][(r >>> 5) % 3] as number)) % APPS.length;
  const app = APPS[a] as string;
  const pri = (APP_FACILITY[a] as number) * 8 + (SEVERITY_BY_PERCENT[(r >>> 8) % 100] as number);
  const pid = 1000 + ((r >>> 16) % 9000);
  const ms = baseMs + Math.floor(i / 10);
  const d = new Date(ms);
  const msg = `${METHODS[(r >>> 3) % METHODS.length]} ${PATHS[(r >>> 7) % PATHS.length]}/${next() % 100000} status=${200 + ((r >>> 11) % 4) * 100} bytes=${next() % 65536} req=${(next() >>> 0).toString(16).padStart(8, '0')} rt=0.${String(next() % 1000).padStart(3, '0')} user=u${next() % 100000}`;
  if (format === '3164') {
    const day = d.getUTCDate();
    const ts = `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    return `<${pri}>${ts} ${host} ${app}[${pid}]: ${msg}`;
  }
  const iso = `${d.toISOString().slice(0, 23)}${String(i % 1000).padStart(3, '0')}Z`;
  return `<${pri}>1 ${iso} ${host} ${app} ${pid} ID${r % 50} - ${msg}`;
}

/** Writes `lines` messages to `path`; resolves with the byte count. */
export async function writeSyslogInput(path: string, lines: number, format: SyslogFormat, seed = 42): Promise<number> {
  const out = createWriteStream(path);
  const next = rng(seed);
  const baseMs = Date.UTC(2026, 10, 27, 12, 0, 0);
  let bytes = 0;
  const CHUNK = 20_000;
  for (let start = 0; start < lines; start += CHUNK) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(lines, start + CHUNK); i++) parts.push(syslogLine(format, i, next, baseMs));
    const text = `${parts.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return bytes;
}
