/**
 * The functions templates may call: Go's text/template builtins, the strings-package names Loki
 * registers (ToUpper, Replace, ...) and sprig's (upper, trimPrefix, regexReplaceAll, add, ...),
 * with sprig's argument order (the piped value comes last).
 */
import { toJsRegExp } from './go-syntax.js';
import { formatGoTime, goTimeString } from './go-time.js';
import { formatGoFloat, sprintf, toFloat, toInt } from './go-format.js';
import type { TValue } from './template.js';

export function truthy(v: TValue): boolean {
  if (v === undefined || v === false || v === '' || v === 0) return false;
  return true;
}

/** Go's %v of a template value. */
export function show(v: TValue): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'object' && 't' in v) return goTimeString(v.t);
  return String(v);
}

export type Fn = (a: TValue[]) => TValue;

const s = (v: TValue): string => show(v);
const arity = (name: string, n: number, a: TValue[]): void => {
  if (a.length !== n) throw new Error(`wrong number of args for ${name}: want ${n} got ${a.length}`);
};
const fn1 = (name: string, f: (x: string) => TValue): Fn => (a) => (arity(name, 1, a), f(s(a[0])));
const fn2 = (name: string, f: (x: string, y: string) => TValue): Fn => (a) => (arity(name, 2, a), f(s(a[0]), s(a[1])));
const num2 = (name: string, f: (x: number, y: number) => number, int: boolean): Fn => (a) => {
  arity(name, 2, a);
  const conv = int ? toInt : toFloat;
  return f(conv(a[0]), conv(a[1]));
};
const title = (x: string): string => x.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase());
const cmp = (a: TValue, b: TValue): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = s(a);
  const y = s(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
const trimCutset = (x: string, cut: string, left: boolean, right: boolean): string => {
  let i = 0;
  let j = x.length;
  if (left) while (i < j && cut.includes(x[i] as string)) i++;
  if (right) while (j > i && cut.includes(x[j - 1] as string)) j--;
  return x.slice(i, j);
};

export const FUNCS: Record<string, Fn> = {
  __line__: () => '',
  __timestamp__: () => undefined,
  // Go strings package names (Loki registers these)
  ToLower: fn1('ToLower', (x) => x.toLowerCase()),
  ToUpper: fn1('ToUpper', (x) => x.toUpperCase()),
  Replace: (a) => {
    arity('Replace', 4, a);
    const [x, o, n, c] = [s(a[0]), s(a[1]), s(a[2]), toInt(a[3])];
    if (c < 0) return x.split(o).join(n);
    let out = x;
    let from = 0;
    for (let k = 0; k < c; k++) {
      const at = out.indexOf(o, from);
      if (at < 0) break;
      out = out.slice(0, at) + n + out.slice(at + o.length);
      from = at + n.length;
    }
    return out;
  },
  Trim: fn2('Trim', (x, c) => trimCutset(x, c, true, true)),
  TrimLeft: fn2('TrimLeft', (x, c) => trimCutset(x, c, true, false)),
  TrimRight: fn2('TrimRight', (x, c) => trimCutset(x, c, false, true)),
  TrimPrefix: fn2('TrimPrefix', (x, p) => (x.startsWith(p) ? x.slice(p.length) : x)),
  TrimSuffix: fn2('TrimSuffix', (x, p) => (p && x.endsWith(p) ? x.slice(0, -p.length) : x)),
  TrimSpace: fn1('TrimSpace', (x) => x.trim()),
  // sprig names: the piped value comes last
  lower: fn1('lower', (x) => x.toLowerCase()),
  upper: fn1('upper', (x) => x.toUpperCase()),
  title: fn1('title', title),
  trim: fn1('trim', (x) => x.trim()),
  trimAll: fn2('trimAll', (c, x) => trimCutset(x, c, true, true)),
  trimPrefix: fn2('trimPrefix', (p, x) => (x.startsWith(p) ? x.slice(p.length) : x)),
  trimSuffix: fn2('trimSuffix', (p, x) => (p && x.endsWith(p) ? x.slice(0, -p.length) : x)),
  replace: (a) => (arity('replace', 3, a), s(a[2]).split(s(a[0])).join(s(a[1]))),
  contains: fn2('contains', (sub, x) => x.includes(sub)),
  hasPrefix: fn2('hasPrefix', (p, x) => x.startsWith(p)),
  hasSuffix: fn2('hasSuffix', (p, x) => x.endsWith(p)),
  repeat: (a) => (arity('repeat', 2, a), s(a[1]).repeat(Math.max(0, toInt(a[0])))),
  trunc: (a) => {
    arity('trunc', 2, a);
    const n = toInt(a[0]);
    const x = s(a[1]);
    return n >= 0 ? x.slice(0, n) : x.slice(Math.max(0, x.length + n));
  },
  substr: (a) => {
    arity('substr', 3, a);
    const [st, en, x] = [toInt(a[0]), toInt(a[1]), s(a[2])];
    return st < 0 ? x.slice(0, en) : en < 0 || en > x.length ? x.slice(st) : x.slice(st, en);
  },
  indent: (a) => (arity('indent', 2, a), s(a[1]).replace(/^/gm, ' '.repeat(toInt(a[0])))),
  nindent: (a) => (arity('nindent', 2, a), '\n' + s(a[1]).replace(/^/gm, ' '.repeat(toInt(a[0])))),
  alignLeft: (a) => (arity('alignLeft', 2, a), s(a[1]).padEnd(toInt(a[0])).slice(0, toInt(a[0]))),
  alignRight: (a) => {
    arity('alignRight', 2, a);
    const n = toInt(a[0]);
    const x = s(a[1]).padStart(n);
    return x.slice(x.length - n);
  },
  regexReplaceAll: (a) => {
    arity('regexReplaceAll', 3, a);
    return s(a[1]).replace(toJsRegExp(s(a[0]), 'g'), s(a[2]).replace(/\$\{(\w+)\}/g, '$<$1>').replace(/\$<(\d+)>/g, '$$$1'));
  },
  regexReplaceAllLiteral: (a) => (arity('regexReplaceAllLiteral', 3, a), s(a[1]).replace(toJsRegExp(s(a[0]), 'g'), () => s(a[2]))),
  default: (a) => {
    if (a.length < 1 || a.length > 2) throw new Error('wrong number of args for default');
    const v = a.length === 2 ? a[1] : undefined;
    return truthy(v) ? v : a[0];
  },
  len: (a) => (arity('len', 1, a), Buffer.byteLength(s(a[0]))), // Go's len counts bytes
  printf: (a) => {
    if (a.length < 1) throw new Error('wrong number of args for printf');
    return sprintf(s(a[0]), a.slice(1));
  },
  print: (a) => a.map(s).join(''),
  println: (a) => a.map(s).join(' ') + '\n',
  urlencode: fn1('urlencode', (x) => encodeURIComponent(x)),
  urldecode: fn1('urldecode', (x) => decodeURIComponent(x)),
  b64enc: fn1('b64enc', (x) => Buffer.from(x).toString('base64')),
  b64dec: fn1('b64dec', (x) => Buffer.from(x, 'base64').toString()),
  int: (a) => (arity('int', 1, a), toInt(a[0])),
  float64: (a) => (arity('float64', 1, a), toFloat(a[0])),
  add: num2('add', (x, y) => x + y, true),
  sub: num2('sub', (x, y) => x - y, true),
  mul: num2('mul', (x, y) => x * y, true),
  div: num2('div', (x, y) => {
    if (y === 0) throw new Error('integer divide by zero');
    return Math.trunc(x / y);
  }, true),
  mod: num2('mod', (x, y) => {
    if (y === 0) throw new Error('integer divide by zero');
    return x % y;
  }, true),
  addf: num2('addf', (x, y) => x + y, false),
  subf: num2('subf', (x, y) => x - y, false),
  mulf: num2('mulf', (x, y) => x * y, false),
  divf: num2('divf', (x, y) => x / y, false),
  max: (a) => Math.max(...a.map(toInt)),
  min: (a) => Math.min(...a.map(toInt)),
  maxf: (a) => Math.max(...a.map(toFloat)),
  minf: (a) => Math.min(...a.map(toFloat)),
  ceil: (a) => (arity('ceil', 1, a), Math.ceil(toFloat(a[0]))),
  floor: (a) => (arity('floor', 1, a), Math.floor(toFloat(a[0]))),
  round: (a) => {
    const p = a.length > 1 ? toInt(a[1]) : 0;
    const f = 10 ** p;
    return Math.round(toFloat(a[0]) * f) / f;
  },
  eq: (a) => a.slice(1).some((b) => cmp(a[0], b) === 0),
  ne: (a) => (arity('ne', 2, a), cmp(a[0], a[1]) !== 0),
  lt: (a) => (arity('lt', 2, a), cmp(a[0], a[1]) < 0),
  le: (a) => (arity('le', 2, a), cmp(a[0], a[1]) <= 0),
  gt: (a) => (arity('gt', 2, a), cmp(a[0], a[1]) > 0),
  ge: (a) => (arity('ge', 2, a), cmp(a[0], a[1]) >= 0),
  and: (a) => a.find((v) => !truthy(v)) ?? a[a.length - 1],
  or: (a) => a.find((v) => truthy(v)) ?? a[a.length - 1],
  not: (a) => (arity('not', 1, a), !truthy(a[0])),
  date: (a) => {
    arity('date', 2, a);
    const t = a[1];
    return formatGoTime(s(a[0]), typeof t === 'object' ? t.t : toInt(t) * 1_000_000);
  },
  unixEpoch: (a) => (arity('unixEpoch', 1, a), typeof a[0] === 'object' ? Math.floor(a[0].t / 1e6) : toInt(a[0])),
  unixEpochMillis: (a) => (arity('unixEpochMillis', 1, a), typeof a[0] === 'object' ? Math.floor(a[0].t / 1e3) : 0),
  unixEpochNanos: (a) => (arity('unixEpochNanos', 1, a), typeof a[0] === 'object' ? a[0].t * 1000 : 0),
  unixToTime: (a) => {
    arity('unixToTime', 1, a);
    const x = s(a[0]);
    const n = Number(x);
    if (!/^\d+$/.test(x)) throw new Error(`unable to parse ${x} as a unix timestamp`);
    // Loki guesses the unit from the number of digits.
    const us = x.length <= 10 ? n * 1e6 : x.length <= 13 ? n * 1e3 : x.length <= 16 ? n : Math.floor(n / 1e3);
    return { t: us };
  },
};
