/**
 * Stream selector text (`{app="api", level=~"warn|error"}`) to label matchers, as Loki's
 * `match[]`/`query` parameters of /series and /labels and the `labels` field of protobuf pushes
 * carry it. Strings follow Go quoting (double quotes with escapes, or raw backticks), as in LogQL.
 */
import type { LabelMatcher, Labels, MatchOp } from '../../core/labels.js';
import { isValidLabelName } from '../../core/labels.js';

/** A selector that could not be parsed; `message` names the column (1-based). */
export class SelectorSyntaxError extends Error {
  constructor(readonly column: number, detail: string) {
    super(`parse error at col ${column}: ${detail}`);
    this.name = 'SelectorSyntaxError';
  }
}

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  fail(detail: string): never {
    throw new SelectorSyntaxError(this.pos + 1, detail);
  }
}

/**
 * Parses a full selector. Throws SelectorSyntaxError (with the column) on anything else,
 * including trailing text: callers that accept pipelines must not use this.
 */
export function parseSelector(text: string): LabelMatcher[] {
  const c = new Cursor(text);
  c.skipSpace();
  if (c.peek() !== '{') c.fail(`expected "{" to start a stream selector, found ${describe(c.peek())}`);
  c.pos++;
  const matchers: LabelMatcher[] = [];
  c.skipSpace();
  if (c.peek() === '}') {
    c.pos++;
  } else {
    for (;;) {
      c.skipSpace();
      const name = readName(c);
      c.skipSpace();
      const op = readOp(c);
      c.skipSpace();
      const value = readString(c);
      if (op === '=~' || op === '!~') {
        try {
          new RegExp(`^(?:${value})$`, 's');
        } catch (e) {
          c.fail(`invalid regular expression for ${name}: ${(e as Error).message}`);
        }
      }
      matchers.push({ name, op, value });
      c.skipSpace();
      const ch = c.peek();
      if (ch === ',') {
        c.pos++;
        c.skipSpace();
        if (c.peek() === '}') {
          c.pos++;
          break;
        }
        continue;
      }
      if (ch === '}') {
        c.pos++;
        break;
      }
      c.fail(`expected "," or "}", found ${describe(ch)}`);
    }
  }
  c.skipSpace();
  if (c.pos < text.length) c.fail(`unexpected ${describe(c.peek())} after the selector`);
  return matchers;
}

/**
 * Parses a label set in Prometheus text form (`{a="1", b="2"}`, only `=`), as Loki's protobuf
 * push sends it. Throws SelectorSyntaxError on other operators, duplicate or invalid names.
 */
export function parseLabelSet(text: string): Labels {
  const labels: Labels = {};
  for (const m of parseSelector(text)) {
    if (m.op !== '=') throw new SelectorSyntaxError(1, `label ${m.name} uses "${m.op}"; a stream's labels use "="`);
    if (Object.prototype.hasOwnProperty.call(labels, m.name)) {
      throw new SelectorSyntaxError(1, `duplicate label name ${m.name}`);
    }
    labels[m.name] = m.value;
  }
  return labels;
}

function describe(ch: string | undefined): string {
  return ch === undefined ? 'end of input' : JSON.stringify(ch);
}

function readName(c: Cursor): string {
  const start = c.pos;
  if (!NAME_START.test(c.peek() ?? '')) c.fail(`expected a label name, found ${describe(c.peek())}`);
  while (c.pos < c.text.length && NAME_CHAR.test(c.text[c.pos] as string)) c.pos++;
  const name = c.text.slice(start, c.pos);
  if (!isValidLabelName(name)) c.fail(`invalid label name ${JSON.stringify(name)}`);
  return name;
}

function readOp(c: Cursor): MatchOp {
  const two = c.text.slice(c.pos, c.pos + 2);
  if (two === '=~' || two === '!~' || two === '!=') {
    c.pos += 2;
    return two;
  }
  if (c.peek() === '=') {
    c.pos++;
    return '=';
  }
  return c.fail(`expected one of =, !=, =~, !~, found ${describe(c.peek())}`);
}

/** Reads a Go string literal: "..." with escapes, or `...` raw. */
function readString(c: Cursor): string {
  const quote = c.peek();
  if (quote === '`') {
    const end = c.text.indexOf('`', c.pos + 1);
    if (end < 0) c.fail('unterminated raw string');
    const s = c.text.slice(c.pos + 1, end);
    c.pos = end + 1;
    return s;
  }
  if (quote !== '"' && quote !== "'") c.fail(`expected a quoted string, found ${describe(quote)}`);
  c.pos++;
  let out = '';
  for (;;) {
    const ch = c.text[c.pos];
    if (ch === undefined || ch === '\n') c.fail('unterminated string');
    if (ch === quote) {
      c.pos++;
      return out;
    }
    if (ch !== '\\') {
      out += ch;
      c.pos++;
      continue;
    }
    const esc = c.text[c.pos + 1];
    c.pos += 2;
    switch (esc) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case 'x': out += String.fromCharCode(readHex(c, 2)); break;
      case 'u': out += String.fromCodePoint(readHex(c, 4)); break;
      case 'U': {
        const cp = readHex(c, 8);
        if (cp > 0x10ffff) c.fail('escape sequence is not a valid Unicode code point');
        out += String.fromCodePoint(cp);
        break;
      }
      default:
        if (esc !== undefined && /[0-7]/.test(esc)) {
          const oct = c.text.slice(c.pos - 1, c.pos + 2);
          if (!/^[0-7]{3}$/.test(oct)) c.fail('invalid octal escape');
          out += String.fromCharCode(parseInt(oct, 8));
          c.pos += 2;
        } else {
          c.pos -= 2; // point at the backslash
          c.fail(`unknown escape sequence \\${esc ?? ''}`);
        }
    }
  }
}

function readHex(c: Cursor, digits: number): number {
  const h = c.text.slice(c.pos, c.pos + digits);
  if (h.length !== digits || !/^[0-9a-fA-F]+$/.test(h)) c.fail(`expected ${digits} hex digits in escape`);
  c.pos += digits;
  return parseInt(h, 16);
}
