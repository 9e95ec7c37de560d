import { re2ToJs } from './re2.js';

/**
 * Regular expressions as users write them for Prometheus, Loki and Grafana (Go RE2 syntax), run
 * by JavaScript's engine: `(?P<name>...)` groups and leading inline flags (`(?i)`, `(?s)`, `(?m)`)
 * are translated; everything else RE2 accepts means the same in JS for the patterns people use.
 * Every module that compiles a user's regex (label matchers, line filters, parsers) goes through here.
 */
export function goRegExp(re: string, extraFlags = ''): RegExp {
  let src = re;
  let flags = extraFlags;
  // Leading inline flags become JS flags (cheaper than case-folding every letter); the rest of the
  // RE2 forms JS lacks ((?i:…) inside, (?P<…>, POSIX classes, \Q…\E, \z) are rewritten by re2ToJs.
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const f of m[1] as string) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  return new RegExp(re2ToJs(src), flags);
}

/** A fully anchored RE2 pattern, as Prometheus and Loki label matchers are. */
export function anchoredGoRegExp(re: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(re);
  const flags = m ? m[0] : '';
  return goRegExp(`${flags}^(?:${re.slice(flags.length)})$`, 's');
}
