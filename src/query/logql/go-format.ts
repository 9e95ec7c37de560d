/** Go's fmt verbs and value conversions, as templates (`printf`, `add`, ...) need them. */
import type { TValue } from './template.js';

/** Go's strconv.FormatFloat(v, 'g', -1, 64)-like text for %v of float64: integers plain, exponents for huge/tiny values. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e21 || abs < 1e-4)) {
    return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}

/** sprig's toInt64: numbers truncate, numeric strings parse, anything else is 0. */
export function toInt(v: TValue): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[+-]?\d+$/.test(t)) return Number(t);
    if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
    return 0;
  }
  return 0;
}

/** sprig's toFloat64. */
export function toFloat(v: TValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return v.trim() === '' || Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

/** A subset of Go's fmt.Sprintf: %s %q %v %d %f %e %g %x %X %t %%, with width, precision, `-` and `0` flags. */
export function sprintf(format: string, args: TValue[]): string {
  let ai = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (all, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let out: string;
    switch (verb) {
      case 's': case 'v':
        out = typeof a === 'number' ? formatGoFloat(a) : a === undefined ? '<nil>' : typeof a === 'object' ? String(a.t) : String(a);
        if (prec !== undefined && verb === 's') out = out.slice(0, Number(prec));
        break;
      case 'q': out = JSON.stringify(typeof a === 'string' ? a : String(a)); break;
      case 'd': {
        const n = typeof a === 'string' ? Number.NaN : toInt(a);
        if (typeof a === 'string') return `%!d(string=${a})`;
        out = String(n);
        break;
      }
      case 'f': case 'F': out = toFloat(a).toFixed(prec === undefined ? 6 : Number(prec)); break;
      case 'e': out = toFloat(a).toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2'); break;
      case 'g': out = prec === undefined ? formatGoFloat(toFloat(a)) : String(Number(toFloat(a).toPrecision(Number(prec)))); break;
      case 'x': out = typeof a === 'string' ? Buffer.from(a).toString('hex') : toInt(a).toString(16); break;
      case 'X': out = (typeof a === 'string' ? Buffer.from(a).toString('hex') : toInt(a).toString(16)).toUpperCase(); break;
      case 't': out = String(a === true); break;
      default: return `%!${verb}(${String(all)})`;
    }
    if (flags.includes('+') && /^[0-9]/.test(out) && 'dfeg'.includes(verb)) out = `+${out}`;
    if (width !== undefined) {
      const w = Number(width);
      if (flags.includes('-')) out = out.padEnd(w);
      else if (flags.includes('0') && 'dfeFgxX'.includes(verb)) {
        const neg = out.startsWith('-');
        out = (neg ? '-' : '') + out.slice(neg ? 1 : 0).padStart(w - (neg ? 1 : 0), '0');
      } else out = out.padStart(w);
    }
    return out;
  });
}
