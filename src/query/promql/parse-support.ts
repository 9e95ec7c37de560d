import { VigilError } from '../../core/errors.js';
import type { PosRange } from './ast.js';

/**
 * A parse or type error (code BAD_QUERY) at an offset of the query. `message` reads like
 * Prometheus's (`1:5: parse error: …`); `reason` is the text without the position.
 */
export class PromQLParseError extends VigilError {
  readonly line: number;
  readonly column: number;
  constructor(readonly reason: string, readonly pos: PosRange, readonly query: string) {
    const { line, col } = lineCol(query, pos.start);
    super('BAD_QUERY', `${line}:${col}: parse error: ${reason}`, { position: pos.start, line, column: col });
    this.name = 'VigilError';
    this.line = line;
    this.column = col;
  }
}

function lineCol(q: string, off: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < off && i < q.length; i++) {
    if (q[i] === '\n') { line++; col = 1; } else col++;
  }
  return { line, col };
}

/**
 * lezer-promql rejects numbers with a trailing dot ("2.", "1./6."), which Prometheus accepts.
 * Replacing that dot with a space keeps every byte offset and the value unchanged.
 */
export function normalizeForLezer(q: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < q.length; i++) {
    const c = q[i] as string;
    if (quote) {
      if (c === '\\' && quote !== '`') { out += c + (q[i + 1] ?? ''); i++; continue; }
      if (c === quote) quote = undefined;
      out += c;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') { quote = c; out += c; continue; }
    if (c === '#') { out += q.slice(i); break; }
    if (c === '.' && /[0-9]/.test(q[i - 1] ?? '') && !/[0-9a-zA-Z_]/.test(q[i + 1] ?? '') && !/[a-zA-Z_:]/.test(prevWordStart(q, i))) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

/** First character of the token that ends right before `i` (to tell `foo1.` from `1.`). */
function prevWordStart(q: string, i: number): string {
  let j = i - 1;
  while (j > 0 && /[0-9a-zA-Z_:.]/.test(q[j - 1] as string)) j--;
  return q[j] ?? '';
}

/** Prometheus's human names for value types, used in error messages. */
export function typeName(t: string): string {
  switch (t) {
    case 'vector': return 'instant vector';
    case 'matrix': return 'range vector';
    default: return t;
  }
}
