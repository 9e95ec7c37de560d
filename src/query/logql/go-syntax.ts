/** Go syntax LogQL inherits: string literals (`"..."` with escapes, raw backquotes) and RE2 regular expressions. */
import { goRegExp } from '../../core/regex.js';

/** A Go (RE2) regular expression to a JS RegExp (the one translation lives in core/regex.ts). Throws SyntaxError when invalid. */
export function toJsRegExp(re: string, extraFlags = ''): RegExp {
  return goRegExp(re, extraFlags);
}

/** Unquotes a Go string literal (`"..."` with escapes, or a raw backquoted string). */
export function unquoteGo(t: string): string {
  if (t.startsWith('`')) return t.slice(1, -1);
  if (!t.startsWith('"') || !t.endsWith('"') || t.length < 2) throw new Error(`unterminated string ${t}`);
  const body = t.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/gs, (_, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
        if (e === '\\' || e === '"' || e === "'") return e;
        throw new Error(`unknown escape sequence \\${e} (in regexes, write \\\\${e} or use a backquoted string)`);
    }
  });
}
