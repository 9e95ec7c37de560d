/**
 * Parses one syslog message (the bytes of one frame or datagram) in RFC 5424 or RFC 3164 form,
 * detected per message. Works on the Buffer with byte scans; strings are only cut for the parts
 * kept (host, app, ids, structured data, the message text). Invalid UTF-8 becomes U+FFFD.
 */
import type { Micros } from '../../core/time.js';
import { parseBsdAt, parseIsoAt, type TimeOut, type Zone } from './timestamps.js';

const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const DASH = 0x2d;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** One parsed message; `reset` before reuse. */
export interface SyslogMessage {
  /** Facility * 8 + severity, 0..191. */
  pri: number;
  /** The message's own time, or the receive time when it has none. */
  ts: Micros;
  /** HOSTNAME; '' when the message has none. */
  host: string;
  /** APP-NAME (5424) or TAG (3164); '' when none. */
  app: string;
  procid: string;
  msgid: string;
  /** Structured data flattened as `sd_<id>_<param>` (label-safe names); undefined when none. */
  sd: Record<string, string> | undefined;
  /** The MSG part (leading spaces and a UTF-8 BOM removed, trailing CR/LF removed). */
  msg: string;
  /** 5424 or 3164. */
  format: 5424 | 3164;
}

export function newMessage(): SyslogMessage {
  return { pri: 0, ts: 0, host: '', app: '', procid: '', msgid: '', sd: undefined, msg: '', format: 3164 };
}

export interface ParseOptions {
  /** Zone of timestamps without an offset (all of RFC 3164's). */
  zone: Zone;
  /** Receive time: the default timestamp and the reference for RFC 3164's missing year. */
  now: Micros;
}

/** Why a frame was refused; used as the `discarded` reason. */
export type ParseFailure = 'bad_pri' | 'bad_header' | 'bad_structured_data';

const tsOut: TimeOut = { ts: 0, end: 0 };

/**
 * Parses `buf[start, end)` into `out`. Returns undefined on success, or the reason the frame is
 * not a syslog message (no valid `<PRI>`, a broken RFC 5424 header or structured data).
 */
export function parseSyslog(buf: Buffer, start: number, end: number, opts: ParseOptions, out: SyslogMessage): ParseFailure | undefined {
  while (end > start && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d || buf[end - 1] === 0)) end--;
  if (buf[start] !== LT) return 'bad_pri';
  let p = start + 1;
  let pri = 0;
  let n = 0;
  while (p < end && n < 4) {
    const b = buf[p] as number;
    if (b < 0x30 || b > 0x39) break;
    pri = pri * 10 + (b - 0x30);
    p++;
    n++;
  }
  if (n === 0 || n > 3 || buf[p] !== GT || pri > 191 || (n > 1 && buf[start + 1] === 0x30)) return 'bad_pri';
  p++;
  out.pri = pri;
  out.ts = opts.now;
  out.host = '';
  out.app = '';
  out.procid = '';
  out.msgid = '';
  out.sd = undefined;
  // RFC 5424: VERSION (1-3 digits, no leading zero) then SP.
  const b0 = buf[p];
  if (b0 !== undefined && b0 >= 0x31 && b0 <= 0x39) {
    let q = p + 1;
    while (q < p + 3 && q < end && (buf[q] as number) >= 0x30 && (buf[q] as number) <= 0x39) q++;
    if (buf[q] === SP && (q + 1 >= end || !isDigitAt(buf, q + 1) || buf[q + 5] === DASH)) {
      out.format = 5424;
      return parse5424(buf, q + 1, end, opts, out);
    }
  }
  out.format = 3164;
  parse3164(buf, p, end, opts, out);
  return undefined;
}

function isDigitAt(buf: Buffer, i: number): boolean {
  const b = buf[i];
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** The next SP-terminated token [p, e); returns e (== end when no SP). */
function tokenEnd(buf: Buffer, p: number, end: number): number {
  const i = buf.indexOf(SP, p);
  return i < 0 || i > end ? end : i;
}

function nilOr(buf: Buffer, a: number, b: number): string {
  return b - a === 1 && buf[a] === DASH ? '' : buf.toString('utf8', a, b);
}

function parse5424(buf: Buffer, p: number, end: number, opts: ParseOptions, out: SyslogMessage): ParseFailure | undefined {
  // TIMESTAMP
  let e = tokenEnd(buf, p, end);
  if (!(e - p === 1 && buf[p] === DASH)) {
    if (!parseIsoAt(buf, p, e, opts.zone, tsOut)) return 'bad_header';
    out.ts = tsOut.ts;
  }
  const fields = [0, 0, 0, 0, 0, 0, 0, 0];
  p = e + 1;
  for (let i = 0; i < 4; i++) {
    if (p >= end) return 'bad_header';
    e = tokenEnd(buf, p, end);
    if (e === p) return 'bad_header';
    fields[i * 2] = p;
    fields[i * 2 + 1] = e;
    p = e + 1;
  }
  out.host = nilOr(buf, fields[0] as number, fields[1] as number);
  out.app = nilOr(buf, fields[2] as number, fields[3] as number);
  out.procid = nilOr(buf, fields[4] as number, fields[5] as number);
  out.msgid = nilOr(buf, fields[6] as number, fields[7] as number);
  // STRUCTURED-DATA: '-' or one or more [id param="value"...] elements.
  if (p >= end) return 'bad_header';
  if (buf[p] === DASH) p++;
  else if (buf[p] === LBRACKET) {
    const sd: Record<string, string> = {};
    while (p < end && buf[p] === LBRACKET) {
      const r = parseSdElement(buf, p, end, sd);
      if (r < 0) return 'bad_structured_data';
      p = r;
    }
    out.sd = sd;
  } else return 'bad_structured_data';
  if (p < end && buf[p] !== SP) return 'bad_structured_data';
  out.msg = messageText(buf, p, end);
  return undefined;
}

const SAFE = /^[A-Za-z0-9_]*$/;
/** SD names repeat in every message of a sender: sanitise each once. Bounded against junk. */
const safeCache = new Map<string, string>();

/** Label-safe name part: anything outside [A-Za-z0-9_] becomes `_`. */
function safe(s: string): string {
  let v = safeCache.get(s);
  if (v === undefined) {
    v = SAFE.test(s) ? s : s.replace(/[^A-Za-z0-9_]/g, '_');
    if (safeCache.size >= 4096) safeCache.clear();
    safeCache.set(s, v);
  }
  return v;
}

/** Parses one `[id k="v" ...]` at p into sd; returns the offset after `]`, or -1 when malformed. */
function parseSdElement(buf: Buffer, p: number, end: number, sd: Record<string, string>): number {
  p++;
  let q = p;
  while (q < end && buf[q] !== SP && buf[q] !== RBRACKET && buf[q] !== QUOTE && buf[q] !== 0x3d) q++;
  if (q === p || q >= end) return -1;
  const id = safe(buf.toString('utf8', p, q));
  p = q;
  for (;;) {
    if (p >= end) return -1;
    if (buf[p] === RBRACKET) return p + 1;
    if (buf[p] !== SP) return -1;
    p++;
    q = p;
    while (q < end && buf[q] !== 0x3d && buf[q] !== SP && buf[q] !== RBRACKET && buf[q] !== QUOTE) q++;
    if (q === p || buf[q] !== 0x3d || buf[q + 1] !== QUOTE) return -1;
    const name = safe(buf.toString('utf8', p, q));
    p = q + 2;
    // PARAM-VALUE: `"`, `\` and `]` are escaped with `\`; any other `\` is kept as is (RFC 5424 6.3.3).
    let value = '';
    let from = p;
    for (;;) {
      if (p >= end) return -1;
      const b = buf[p];
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        const nx = buf[p + 1];
        if (nx === QUOTE || nx === BACKSLASH || nx === RBRACKET) {
          value += buf.toString('utf8', from, p);
          from = p + 1;
          p += 2;
          continue;
        }
      }
      p++;
    }
    value += buf.toString('utf8', from, p);
    sd[`sd_${id}_${name}`] = value;
    p++;
  }
}

/** MSG from p (at the separating SP or end): leading spaces and a UTF-8 BOM dropped. */
function messageText(buf: Buffer, p: number, end: number): string {
  while (p < end && buf[p] === SP) p++;
  if (buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) p += 3;
  return p >= end ? '' : buf.toString('utf8', p, end);
}

function parse3164(buf: Buffer, p: number, end: number, opts: ParseOptions, out: SyslogMessage): void {
  let hasTime = false;
  if (isDigitAt(buf, p) && buf[p + 4] === DASH) hasTime = parseIsoAt(buf, p, tokenEnd(buf, p, end), opts.zone, tsOut);
  else hasTime = parseBsdAt(buf, p, end, opts.zone, opts.now, tsOut);
  if (hasTime) {
    out.ts = tsOut.ts;
    p = tsOut.end;
    while (p < end && buf[p] === SP) p++;
    // HOSTNAME, unless the next token already looks like a TAG (`app:` or `app[pid]`), as local
    // senders (logger to a socket) omit it.
    const e = tokenEnd(buf, p, end);
    if (e < end && !looksLikeTag(buf, p, e)) {
      out.host = buf.toString('utf8', p, e);
      p = e + 1;
    }
  }
  // TAG: up to `[`, `:` or SP; then an optional `[pid]` and `:`.
  let q = p;
  while (q < end && q - p < 128) {
    const b = buf[q];
    if (b === SP || b === COLON || b === LBRACKET) break;
    q++;
  }
  const b = buf[q];
  if (q > p && (q === end || b === SP || b === COLON || b === LBRACKET)) {
    let after = q;
    let procid = '';
    if (b === LBRACKET) {
      const close = buf.indexOf(RBRACKET, q);
      if (close > q && close < end && close - q < 130) {
        procid = buf.toString('utf8', q + 1, close);
        after = close + 1;
      } else after = -1;
    }
    if (after >= 0) {
      const colon = buf[after] === COLON;
      if (colon) after++;
      // Without a header, only `app:` / `app[pid]:` is taken as a TAG; a bare word is message text.
      if ((after === end || buf[after] === SP) && (hasTime || colon)) {
        out.app = buf.toString('utf8', p, q);
        out.procid = procid;
        p = after;
      }
    }
  }
  out.msg = messageText(buf, p, end);
}

function looksLikeTag(buf: Buffer, p: number, e: number): boolean {
  return buf[e - 1] === COLON || (buf[e - 1] === RBRACKET && buf.indexOf(LBRACKET, p) < e) || (buf[e - 2] === RBRACKET && buf[e - 1] === COLON);
}

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const LEVELS = ['critical', 'critical', 'critical', 'error', 'warn', 'info', 'info', 'debug'];

/** Facility name of a PRI (RFC 5424 table 1; 12–15 as rsyslog/syslog-ng name them). */
export function facilityName(pri: number): string {
  return FACILITIES[pri >> 3] ?? 'unknown';
}
/** The raw severity keyword of a PRI (`err`, `warning`, ...). */
export function severityName(pri: number): string {
  return SEVERITIES[pri & 7] as string;
}
/** Vigil's `level` for a PRI: emerg/alert/crit → critical, err → error, warning → warn, notice/info → info. */
export function levelName(pri: number): string {
  return LEVELS[pri & 7] as string;
}
