/**
 * Translates the RE2 syntax Prometheus accepts into an equivalent JavaScript pattern:
 * inline case-insensitivity (`(?i)`, `(?i:…)`, which Node 20 lacks), `(?P<name>…)`,
 * `\z`, `\Q…\E`, and POSIX classes `[[:alpha:]]`. The result is compiled by core/regex.ts
 * (no `u` flag, like the LogQL side), which throws SyntaxError on input neither accepts.
 */
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

function bothCases(c: string): string {
  const l = c.toLowerCase();
  const u = c.toUpperCase();
  return l === u ? c : `${l}${u}`;
}

export function re2ToJs(re: string): string {
  let out = '';
  // Stack of case-insensitivity per open group; index 0 is the top level.
  const ci: boolean[] = [false];
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i] as string;
    const fold = ci[ci.length - 1] === true;
    if (c === '\\') {
      const n = re[i + 1] ?? '';
      if (n === 'z') { out += '$'; i++; continue; }
      if (n === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        const lit = re.slice(i + 2, end < 0 ? re.length : end);
        out += [...lit].map((x) => (fold && /[a-zA-Z]/.test(x) && !inClass ? `[${bothCases(x)}]` : x.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'))).join('');
        i = end < 0 ? re.length : end + 1;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && re[i + 1] === ':') {
        const end = re.indexOf(':]', i + 2);
        if (end > 0) {
          const name = re.slice(i + 2, end);
          const neg = name.startsWith('^');
          const cls = POSIX[neg ? name.slice(1) : name];
          if (cls !== undefined && !neg) { out += cls; i = end + 1; continue; }
        }
      }
      if (c === ']') inClass = false;
      const hi = re[i + 2];
      if (fold && re[i + 1] === '-' && hi !== undefined && hi !== ']' && /[a-zA-Z]/.test(c + hi)) {
        out += `${c}-${hi}`;
        if (/[a-z]/.test(c) && /[a-z]/.test(hi)) out += `${c.toUpperCase()}-${hi.toUpperCase()}`;
        else if (/[A-Z]/.test(c) && /[A-Z]/.test(hi)) out += `${c.toLowerCase()}-${hi.toLowerCase()}`;
        i += 2;
        continue;
      }
      out += fold && /[a-zA-Z]/.test(c) ? bothCases(c) : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (re[i + 1] === '^') { out += '^'; i++; }
      if (re[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(') {
      const flags = /^\(\?([imsU-]+)(\)|:)/.exec(re.slice(i));
      if (flags) {
        const f = flags[1] as string;
        const on = f.split('-')[0] ?? '';
        const off = f.split('-')[1] ?? '';
        let next = fold;
        if (on.includes('i')) next = true;
        if (off.includes('i')) next = false;
        if (flags[2] === ')') {
          ci[ci.length - 1] = next;
          i += flags[0].length - 1;
        } else {
          ci.push(next);
          out += '(?:';
          i += flags[0].length - 1;
        }
        continue;
      }
      if (re.startsWith('(?P<', i)) { out += '(?<'; i += 3; ci.push(fold); continue; }
      ci.push(fold);
      out += c;
      continue;
    }
    if (c === ')') {
      if (ci.length > 1) ci.pop();
      out += c;
      continue;
    }
    if (fold && /[a-zA-Z]/.test(c)) { out += `[${bothCases(c)}]`; continue; }
    out += c;
  }
  return out;
}
