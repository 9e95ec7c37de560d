/** Number, duration and string literal decoding shared by the parser and the .test runner. */

const UNIT_MS: Record<string, number> = { y: 365 * 86400000, w: 7 * 86400000, d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 };

/** Parses a Prometheus duration ("1h5m", "10s53ms", "-1m", or a plain number of seconds) into ms. */
export function parseDuration(text: string): number | undefined {
  let t = text.trim();
  let sign = 1;
  if (t.startsWith('-')) { sign = -1; t = t.slice(1); } else if (t.startsWith('+')) t = t.slice(1);
  if (/^[0-9]+(\.[0-9]+)?$/.test(t) || /^[0-9]*\.[0-9]+([eE][+-]?[0-9]+)?$/.test(t) || /^[0-9]+[eE][+-]?[0-9]+$/.test(t)) {
    return sign * Math.round(Number(t) * 1000);
  }
  const re = /([0-9]+)(ms|y|w|d|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
    pos = re.lastIndex;
  }
  if (pos !== t.length || t.length === 0) return undefined;
  return sign * total;
}

/** Parses a PromQL number literal (decimal, hex, Inf, NaN, or a duration meaning seconds). */
export function parseNumber(text: string): number | undefined {
  let t = text.trim();
  let sign = 1;
  if (t.startsWith('-')) { sign = -1; t = t.slice(1); } else if (t.startsWith('+')) t = t.slice(1);
  const low = t.toLowerCase();
  if (low === 'inf' || low === '+inf') return sign * Infinity;
  if (low === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/i.test(t)) return sign * parseInt(t.slice(2), 16);
  if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) return sign * Number(t);
  const d = parseDuration(t);
  if (d !== undefined) return (sign * d) / 1000;
  return undefined;
}

/** Decodes a Go-style quoted string ("..", '..' with escapes, or `..` raw). Undefined on bad syntax. */
export function unquoteString(q: string): string | undefined {
  if (q.length < 2) return undefined;
  const quote = q[0];
  if (q[q.length - 1] !== quote) return undefined;
  const body = q.slice(1, -1);
  if (quote === '`') return body;
  if (quote !== '"' && quote !== "'") return undefined;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      bytes.push(...enc.encode(s));
      i += s.length - 1;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a': bytes.push(7); break;
      case 'b': bytes.push(8); break;
      case 'f': bytes.push(12); break;
      case 'n': bytes.push(10); break;
      case 'r': bytes.push(13); break;
      case 't': bytes.push(9); break;
      case 'v': bytes.push(11); break;
      case '\\': bytes.push(92); break;
      case '"': bytes.push(34); break;
      case "'": bytes.push(39); break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
        bytes.push(parseInt(h, 16)); i += 2; break;
      }
      case 'u': case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
        bytes.push(...enc.encode(String.fromCodePoint(parseInt(h, 16)))); i += n; break;
      }
      default: {
        const o = body.slice(i, i + 3);
        if (/^[0-7]{3}$/.test(o)) { bytes.push(parseInt(o, 8)); i += 2; break; }
        return undefined;
      }
    }
  }
  return decodeBytes(bytes);
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 decoding that keeps invalid bytes recoverable: each one becomes the lone surrogate
 * U+DC00+byte, so validity checks can reject it and messages can print it as Go does (\xNN).
 */
function decodeBytes(bytes: number[]): string {
  try {
    return strict.decode(new Uint8Array(bytes));
  } catch {
    let out = '';
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i] as number;
      const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      if (len > 0) {
        try {
          out += strict.decode(new Uint8Array(bytes.slice(i, i + len)));
          i += len;
          continue;
        } catch { /* fall through: invalid sequence */ }
      }
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
    return out;
  }
}

/** True when `s` holds a byte that was not valid UTF-8 in the query (see decodeBytes). */
export function hasInvalidUtf8(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/** Go's %q rendering of a string decoded by unquoteString (invalid bytes back as \xNN). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\udc([89a-f][0-9a-f])/g, '\\x$1');
}
