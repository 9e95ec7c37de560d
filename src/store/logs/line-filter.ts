/**
 * Line filters pushed down to the store: compiled once per query into a predicate plus the
 * UTF-8 needles of the `|=` filters (used for bloom skipping and a Buffer.indexOf prefilter).
 */
import { VigilError } from '../../core/errors.js';
import type { LineFilter } from '../interfaces.js';

export interface CompiledFilters {
  /** UTF-8 bytes of every `|=` value: a matching line contains each. */
  required: Buffer[];
  /** True when there is no filter at all. */
  empty: boolean;
  test(line: string): boolean;
}

/** Go RE2 inline flags at the start (`(?i)`) become JS flags; the rest is taken as JS syntax. */
export function compileLineRegex(src: string): RegExp {
  let flags = '';
  let body = src;
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    body = src.slice(m[0].length);
    for (const f of m[1] as string) if ((f === 'i' || f === 'm' || f === 's') && !flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw new VigilError('BAD_QUERY', `invalid line filter regex ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
}

/** Compiles filters; throws BAD_QUERY for an invalid regex. */
export function compileLineFilters(filters: ReadonlyArray<LineFilter> | undefined): CompiledFilters {
  const preds: Array<(l: string) => boolean> = [];
  const required: Buffer[] = [];
  for (const f of filters ?? []) {
    switch (f.op) {
      case '|=':
        if (f.value !== '') {
          required.push(Buffer.from(f.value, 'utf8'));
          preds.push((l) => l.includes(f.value));
        }
        break;
      case '!=':
        if (f.value === '') preds.push(() => false);
        else preds.push((l) => !l.includes(f.value));
        break;
      case '|~': {
        const re = compileLineRegex(f.value);
        preds.push((l) => re.test(l));
        break;
      }
      case '!~': {
        const re = compileLineRegex(f.value);
        preds.push((l) => !re.test(l));
        break;
      }
      default:
        throw new VigilError('BAD_QUERY', `unknown line filter operator ${JSON.stringify((f as { op: unknown }).op)}`);
    }
  }
  const test =
    preds.length === 0
      ? () => true
      : preds.length === 1
        ? (preds[0] as (l: string) => boolean)
        : (l: string) => {
            for (const p of preds) if (!p(l)) return false;
            return true;
          };
  return { required, empty: preds.length === 0, test };
}
