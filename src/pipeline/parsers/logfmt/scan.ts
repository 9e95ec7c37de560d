/**
 * A logfmt scanner following go-logfmt (what Go services' loggers write): `key=value`,
 * `key="quoted \"value\""`, bare `key` (empty value). One pass over the string, no regex.
 */

/** Thrown for malformed input; `pos` is the character offset in the line. */
export class LogfmtError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(`${message} at position ${pos}`);
    this.name = 'LogfmtError';
    this.pos = pos;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Calls `visit(key, value)` for each pair, in order; throws LogfmtError at the first malformed spot. */
export function scanLogfmt(line: string, visit: (key: string, value: string) => void): void {
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const ks = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 61 /* = */ || isSpace(c)) break;
      if (c === 34 /* " */) throw new LogfmtError('unexpected \'"\' in key', i);
      i++;
    }
    if (i === ks) throw new LogfmtError("unexpected '=' without a key", i);
    const key = line.slice(ks, i);
    if (i >= n || line.charCodeAt(i) !== 61) {
      visit(key, '');
      continue;
    }
    i++; // '='
    if (i < n && line.charCodeAt(i) === 34) {
      const qs = i;
      i++;
      let val = '';
      let run = i;
      let closed = false;
      while (i < n) {
        const c = line.charCodeAt(i);
        if (c === 92 /* \ */) {
          val += line.slice(run, i);
          const e = line[i + 1];
          if (e === undefined) break;
          if (e === 'u') {
            const hex = line.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new LogfmtError('bad \\u escape', i);
            val += String.fromCharCode(parseInt(hex, 16));
            i += 6;
          } else {
            val += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
            i += 2;
          }
          run = i;
          continue;
        }
        if (c === 34) {
          val += line.slice(run, i);
          i++;
          closed = true;
          break;
        }
        i++;
      }
      if (!closed) throw new LogfmtError('unterminated quoted value', qs);
      visit(key, val);
      continue;
    }
    const vs = i;
    while (i < n && !isSpace(line.charCodeAt(i))) {
      if (line.charCodeAt(i) === 34) throw new LogfmtError('unexpected \'"\' in value', i);
      i++;
    }
    visit(key, line.slice(vs, i));
  }
}
