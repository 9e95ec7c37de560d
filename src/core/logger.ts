/**
 * Vigil's own log: pino, pretty on a terminal and JSON otherwise, plus (optionally) a JSON file in
 * the data dir that the default `self` source collects into the store. Fields are key/value; the
 * error field is `error`.
 */
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { pino, type Logger, type StreamEntry } from 'pino';

// pino-pretty (and its ~30 modules) is loaded only when output is pretty: a collector logging JSON
// to a pipe or journald never needs it.
const require = createRequire(import.meta.url);
type Pretty = typeof import('pino-pretty');
const loadPretty = (): Pretty => require('pino-pretty') as Pretty;

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Path of a JSON log file to write beside the console, if any. */
  file?: string;
  /** Rotate the file (to `<file>.1`, replacing an older one) when it grows past this many bytes. Default 20 MB. */
  maxFileBytes?: number;
  /** Where console output goes (default stderr, so `vigil query` output on stdout stays clean). */
  dest?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createLogger(o: LoggerOptions): Logger {
  const out = o.dest ?? process.stderr;
  const usePretty = o.format === 'pretty' || (o.format === 'auto' && Boolean((out as { isTTY?: boolean }).isTTY));
  const streams: StreamEntry[] = [
    { level: o.level as pino.Level, stream: usePretty ? loadPretty()({ destination: out as never, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }) : out },
  ];
  if (o.file) {
    const file = o.file;
    mkdirSync(dirname(file), { recursive: true });
    const dest = pino.destination({ dest: file, sync: false, mkdir: true });
    streams.push({ level: o.level as pino.Level, stream: dest });
    // Rotation by rename: the `self` file source keeps reading the old file to its end, then the new one.
    const max = o.maxFileBytes ?? 20e6;
    const timer = setInterval(() => {
      try {
        if (statSync(file).size > max) {
          renameSync(file, `${file}.1`);
          dest.reopen();
        }
      } catch {
        // the file vanished or cannot be renamed: the next check tries again
      }
    }, 30_000);
    timer.unref();
  }
  // Level names (`"level":"warn"`) rather than pino's numbers: readable in the file, and what the
  // `level` stage and LogQL users expect.
  return pino({ level: o.level, base: { service: 'vigil' }, errorKey: 'error', formatters: { level: (label) => ({ level: label }) } }, pino.multistream(streams));
}
