/**
 * The HTTP pipeline bench's input: JSON application log lines of ~200 bytes (time, level,
 * service, message, request fields, a nested user object), seeded so every run reads the same bytes.
 */
import { createWriteStream } from 'node:fs';

const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'];
const SERVICES = ['api', 'billing', 'auth', 'search', 'worker'];
const MSGS = ['request handled', 'cache miss', 'user logged in', 'job finished', 'upstream slow', 'retrying request'];
const PATHS = ['/api/v1/items', '/api/v1/users', '/login', '/api/v2/orders', '/search'];

/** One JSON line (no newline) for entry `i`. */
export function jsonLine(i: number, r: number, baseMs: number): string {
  const ts = new Date(baseMs + Math.floor(i / 10)).toISOString();
  return `{"ts":"${ts}","level":"${LEVELS[r % LEVELS.length]}","service":"${SERVICES[(r >>> 3) % SERVICES.length]}","msg":"${MSGS[(r >>> 6) % MSGS.length]}","method":"GET","path":"${PATHS[(r >>> 9) % PATHS.length]}/${r % 100000}","status":${200 + ((r >>> 12) % 4) * 100},"duration_ms":${(r % 5000) / 10},"user":{"id":"u${(r >>> 4) % 100000}","org":"org${r % 50}"},"req_id":"${r.toString(16).padStart(8, '0')}"}`;
}

/** Writes `lines` JSON lines to `path`; resolves with the byte count. */
export async function writeJsonInput(path: string, lines: number, seed = 7): Promise<number> {
  const out = createWriteStream(path);
  let x = seed >>> 0 || 1;
  const baseMs = Date.UTC(2026, 10, 27, 12, 0, 0);
  let bytes = 0;
  const CHUNK = 20_000;
  for (let start = 0; start < lines; start += CHUNK) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(lines, start + CHUNK); i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      parts.push(jsonLine(i, x, baseMs));
    }
    const text = `${parts.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return bytes;
}
