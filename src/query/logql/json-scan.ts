/**
 * A JSON object walker for `| json`: visits every scalar of nested objects with its raw text
 * (numbers keep their exact digits, as Loki's parser does, so `1.0` and 20-digit ids survive),
 * without building objects. Fails with the byte offset of the first syntax error.
 */

/** Called with the flattened label name and the value text (strings unescaped). */
export type ScalarVisitor = (name: string, value: string) => void;

export class JsonScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
  }
}

/**
 * Walks `text`, which must hold one JSON object; nested object keys are joined with `_` after
 * `sanitize`; arrays are skipped. Throws JsonScanError.
 */
export function scanJsonObject(text: string, sanitize: (k: string) => string, visit: ScalarVisitor): void {
  const s = new Scanner(text, sanitize, visit);
  s.ws();
  if (text[s.pos] !== '{') throw new JsonScanError("Value looks like object, but can't find opening '{' symbol", s.pos);
  s.object('');
  s.ws();
  if (s.pos !== text.length) throw new JsonScanError('unexpected data after the object', s.pos);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Scanner {
  pos = 0;
  constructor(private readonly t: string, private readonly sanitize: (k: string) => string, private readonly visit: ScalarVisitor) {}

  ws(): void {
    const t = this.t;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  fail(msg: string): never {
    throw new JsonScanError(msg, this.pos);
  }

  object(prefix: string): void {
    this.pos++; // {
    this.ws();
    if (this.t[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.t[this.pos] !== '"') this.fail("expected '\"' to start a key");
      const key = this.string();
      this.ws();
      if (this.t[this.pos] !== ':') this.fail("expected ':' after a key");
      this.pos++;
      this.ws();
      const name = prefix ? `${prefix}_${this.sanitize(key)}` : this.sanitize(key);
      this.value(name, true);
      this.ws();
      const c = this.t[this.pos];
      this.pos++;
      if (c === '}') return;
      if (c !== ',') {
        this.pos--;
        this.fail("Value looks like object, but can't find closing '}' symbol");
      }
    }
  }

  /** Reads a value; scalars are reported when `emit`, arrays and their contents never are. */
  value(name: string, emit: boolean): void {
    const t = this.t;
    const c = t[this.pos];
    if (c === '{') {
      if (emit) this.object(name);
      else this.skipContainer();
    } else if (c === '[') this.skipContainer();
    else if (c === '"') {
      const v = this.string();
      if (emit) this.visit(name, v);
    } else if (t.startsWith('true', this.pos) || t.startsWith('null', this.pos)) {
      if (emit) this.visit(name, c === 't' ? 'true' : '');
      this.pos += 4;
    } else if (t.startsWith('false', this.pos)) {
      if (emit) this.visit(name, 'false');
      this.pos += 5;
    } else {
      NUMBER.lastIndex = this.pos;
      const m = NUMBER.exec(t);
      if (!m) this.fail('unknown value type');
      this.pos = NUMBER.lastIndex;
      if (emit) this.visit(name, m[0]);
    }
  }

  skipContainer(): void {
    const close = this.t[this.pos] === '{' ? '}' : ']';
    const isObj = close === '}';
    this.pos++;
    this.ws();
    if (this.t[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (isObj) {
        if (this.t[this.pos] !== '"') this.fail("expected '\"' to start a key");
        this.string();
        this.ws();
        if (this.t[this.pos] !== ':') this.fail("expected ':' after a key");
        this.pos++;
        this.ws();
      }
      this.value('', false);
      this.ws();
      const c = this.t[this.pos];
      this.pos++;
      if (c === close) return;
      if (c !== ',') {
        this.pos--;
        this.fail(`expected ',' or '${close}'`);
      }
    }
  }

  /** A string starting at pos (on the quote), unescaped; fast path when it has no escapes. */
  string(): string {
    const t = this.t;
    const start = this.pos + 1;
    let i = start;
    let escaped = false;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 92) {
        escaped = true;
        i++;
      } else if (c === 34) break;
    }
    if (i >= t.length) this.fail('unterminated string');
    this.pos = i + 1;
    if (!escaped) return t.slice(start, i);
    try {
      return JSON.parse(t.slice(start - 1, i + 1)) as string;
    } catch {
      this.pos = start - 1;
      return this.fail('invalid escape in string');
    }
  }
}
