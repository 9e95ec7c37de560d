/**
 * Log level detection and normalization: from a field value (`level`, `severity`, `lvl`, numeric
 * syslog or pino/bunyan levels) or from the text (`level=error`, `"level":"warn"`, `[error]`,
 * ` ERROR `), to one of critical, error, warn, info, debug, trace, unknown.
 */

export const LEVELS = ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'unknown'] as const;
export type Level = (typeof LEVELS)[number];

const NAMES = new Map<string, Level>();
const add = (level: Level, ...names: string[]): void => names.forEach((n) => NAMES.set(n, level));
add('critical', 'critical', 'crit', 'fatal', 'panic', 'emerg', 'emergency', 'alert', 'dpanic', 'f', 'c');
add('error', 'error', 'err', 'eror', 'severe', 'e');
add('warn', 'warn', 'warning', 'w');
add('info', 'info', 'information', 'informational', 'notice', 'i', 'n');
add('debug', 'debug', 'dbug', 'dbg', 'fine', 'd');
add('trace', 'trace', 'trc', 'finer', 'finest', 'verbose', 't');

/** Normalizes a level as written; numbers are syslog severities (0–7) or pino/bunyan levels (10–60). */
export function normalizeLevel(value: string): Level {
  const v = value.trim().toLowerCase();
  const named = NAMES.get(v);
  if (named) return named;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n <= 7) return n <= 2 ? 'critical' : n === 3 ? 'error' : n === 4 ? 'warn' : n <= 6 ? 'info' : 'debug';
    if (n >= 60) return 'critical';
    if (n >= 50) return 'error';
    if (n >= 40) return 'warn';
    if (n >= 30) return 'info';
    if (n >= 20) return 'debug';
    if (n >= 10) return 'trace';
  }
  return 'unknown';
}

// Key/value forms first (most reliable), then bracketed, then upper-case words. One regex, compiled once.
const TEXT = new RegExp(
  [
    '\\b(?:level|lvl|severity|loglevel)["\']?\\s*[=:]\\s*["\']?([A-Za-z]+|\\d+)',
    '[\\[<(]\\s*(CRITICAL|CRIT|FATAL|PANIC|EMERG|ALERT|ERROR|ERR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE|critical|crit|fatal|panic|emerg|alert|error|err|warning|warn|info|notice|debug|trace)\\s*[\\]>)]',
    '\\b(CRITICAL|FATAL|PANIC|EMERG|ERROR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE)\\b',
  ].join('|'),
);

/** The level a line's text shows, or 'unknown'. Scans at most the first 1 KiB (levels come early). */
export function levelFromText(line: string): Level {
  const m = TEXT.exec(line.length > 1024 ? line.slice(0, 1024) : line);
  if (!m) return 'unknown';
  return normalizeLevel((m[1] ?? m[2] ?? m[3]) as string);
}
