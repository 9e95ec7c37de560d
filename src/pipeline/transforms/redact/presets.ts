/**
 * The named redaction presets. Each is one global regex plus, where a regex alone would
 * over-match (card numbers, IPv6 candidates), a validator run on the match before redacting.
 */
import { isIPv6 } from 'node:net';

export type PresetName = 'email' | 'credit_card' | 'bearer_token' | 'password_in_url' | 'ipv4' | 'ipv6';

export interface Rule {
  /** Metric label: the preset name or `patterns[i]`. */
  name: string;
  re: RegExp;
  /** True when the match (group 0) really is sensitive. */
  check?: (match: string) => boolean;
  /** Text kept before the redacted part: group 1 when the rule keeps a prefix (`Bearer `, `scheme://user:`). */
  keepPrefix?: boolean;
  /** Text put after the replacement (the `@` of a URL's credentials). */
  suffix?: string;
  /** A fixed replacement for this rule, instead of the configured one. */
  replacement?: string;
}

/** Luhn checksum over the digits of `s` (separators ignored). */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let n = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    let d = c;
    if (n % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    n++;
  }
  return n >= 13 && n <= 19 && sum % 10 === 0;
}

// Every rule starts with a lookbehind and bounded repeats: without them a 100 KB line of letters
// or digits costs seconds (each start position rescans the rest of the line).
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

/**
 * Fresh rule objects (regexes are stateful through lastIndex, so each transform gets its own).
 * Order matters and is fixed: credentials in URLs before e-mail addresses (`user:pw@host.com`).
 */
export function presetRules(names: ReadonlyArray<PresetName>): Rule[] {
  const want = new Set(names);
  const all: Rule[] = [
    // The password only, so the URL stays readable; `***` as Loki/Vector users expect for URLs.
    { name: 'password_in_url', re: /((?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}:\/\/[^\s:@/?#]{1,256}:)[^\s@/?#]{1,256}@/g, keepPrefix: true, suffix: '@', replacement: '***' },
    { name: 'bearer_token', re: /(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, keepPrefix: true },
    { name: 'email', re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g },
    { name: 'credit_card', re: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, check: luhnValid },
    { name: 'ipv6', re: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g, check: (m) => isIPv6(m) },
    { name: 'ipv4', re: new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d.]*\\d)`, 'g') },
  ];
  return all.filter((r) => want.has(r.name as PresetName));
}

export const PRESET_NAMES: ReadonlyArray<PresetName> = ['email', 'credit_card', 'bearer_token', 'password_in_url', 'ipv4', 'ipv6'];
