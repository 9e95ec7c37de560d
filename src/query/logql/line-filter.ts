/**
 * Line filters (`|=`, `!=`, `|~`, `!~`, `|>`, `!>`, `ip(...)`) compiled to predicates over a line.
 * Used by the pipeline, by the in-memory querier for pushed-down filters, and by the agent.
 */
import { BlockList, isIP } from 'node:net';
import type { LineFilter } from '../../store/interfaces.js';
import type { LineFilterStage } from './ast.js';
import { queryError } from './errors.js';
import { toJsRegExp } from './go-syntax.js';

/** Compiles a filter stage; a positive filter passes when any value matches, a negative one when none does. */
export function compileLineFilter(stage: LineFilterStage): (line: string) => boolean {
  const negative = stage.op === '!=' || stage.op === '!~' || stage.op === '!>';
  const tests = stage.values.map((v) => valueTest(stage, v));
  if (tests.length === 1) {
    const t = tests[0] as (line: string) => boolean;
    return negative ? (l) => !t(l) : t;
  }
  return negative ? (l) => !tests.some((t) => t(l)) : (l) => tests.some((t) => t(l));
}

/** A pushed-down store filter as a predicate (what a LogQuerier must apply). */
export function compileStoreLineFilter(f: LineFilter): (line: string) => boolean {
  return compileLineFilter({ kind: 'lineFilter', op: f.op, values: [f.value] });
}

function valueTest(stage: LineFilterStage, v: string): (line: string) => boolean {
  if (stage.ip) {
    const list = ipMatcher(v);
    return (line) => {
      for (const m of line.matchAll(IP_CANDIDATES)) if (list(m[0])) return true;
      return false;
    };
  }
  switch (stage.op) {
    case '|=': case '!=':
      return v === '' ? () => true : (line) => line.includes(v);
    case '|~': case '!~': {
      const re = toJsRegExp(v);
      return (line) => re.test(line);
    }
    case '|>': case '!>': {
      const re = patternRegExp(v);
      return (line) => re.test(line);
    }
  }
}

/** `<_>` wildcards and literal text, matched from the start of the line like Loki's pattern filter. */
function patternRegExp(p: string): RegExp {
  const parts = p.split(/<[a-zA-Z_][a-zA-Z0-9_]*>/);
  const body = parts.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*?');
  return new RegExp(`^${body}${p.endsWith('>') ? '' : '$'}`);
}

// IPv4 dotted quads, and IPv6-looking runs (at least two colons); isIP() decides.
const IP_CANDIDATES = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]*\d)|[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*/g;

/**
 * Loki's ip() patterns: an address (`192.168.0.1`, `::1`), a range (`192.168.0.1-192.168.0.9`)
 * or a CIDR (`10.0.0.0/8`). Returns a predicate over an address text.
 */
export function ipMatcher(pattern: string): (addr: string) => boolean {
  const list = new BlockList();
  const p = pattern.trim();
  try {
    const dash = p.indexOf('-');
    if (p.includes('/')) {
      const [net, bits] = p.split('/') as [string, string];
      const type = isIP(net) === 6 ? 'ipv6' : 'ipv4';
      if (!isIP(net) || !/^\d+$/.test(bits)) throw new Error('bad CIDR');
      list.addSubnet(net, Number(bits), type);
    } else if (dash > 0) {
      const a = p.slice(0, dash).trim();
      const b = p.slice(dash + 1).trim();
      if (!isIP(a) || isIP(a) !== isIP(b)) throw new Error('bad range');
      list.addRange(a, b, isIP(a) === 6 ? 'ipv6' : 'ipv4');
    } else {
      if (!isIP(p)) throw new Error('bad address');
      list.addAddress(p, isIP(p) === 6 ? 'ipv6' : 'ipv4');
    }
  } catch {
    throw queryError(`invalid ip pattern ${JSON.stringify(pattern)}: use an address (10.0.0.1), a range (10.0.0.1-10.0.0.9) or a CIDR (10.0.0.0/8)`);
  }
  return (addr) => {
    const t = isIP(addr);
    return t !== 0 && list.check(addr, t === 6 ? 'ipv6' : 'ipv4');
  };
}
