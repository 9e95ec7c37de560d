/**
 * The `redact` transform: replaces sensitive text (custom regexes and named presets: email,
 * Luhn-checked card numbers, bearer tokens, passwords in URLs, IPv4/IPv6 addresses) in lines and
 * in field values, counting redactions per rule in `vigil_transform_redact_redactions_total`.
 */
import { Type } from '@sinclair/typebox';
import { Counter, type Registry } from 'prom-client';
import { defineTransform } from '../../../components/contract.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch } from '../../../core/events.js';
import { presetRules, PRESET_NAMES, type PresetName, type Rule } from './presets.js';

const schema = Type.Object(
  {
    patterns: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'JavaScript regular expressions; every match is replaced. A pattern must not match the empty string.' }),
    ),
    presets: Type.Optional(
      Type.Array(Type.Union(PRESET_NAMES.map((n) => Type.Literal(n))), {
        description: 'Named detectors: email, credit_card (Luhn-checked), bearer_token (keeps `Bearer `), password_in_url (`scheme://user:PASS@` → `scheme://user:***@`), ipv4, ipv6.',
      }),
    ),
    replacement: Type.Optional(Type.String({ description: 'Text put in place of a match (default `[REDACTED]`).' })),
  },
  { additionalProperties: false },
);

const METRIC = 'vigil_transform_redact_redactions_total';

/** One counter family per registry, shared by every redact component (labelled by component id). */
function redactionsCounter(registry: Registry): Counter<'component' | 'rule'> {
  const existing = registry.getSingleMetric(METRIC);
  if (existing) return existing as Counter<'component' | 'rule'>;
  return new Counter({ name: METRIC, help: 'Matches redacted, by component and rule.', labelNames: ['component', 'rule'], registers: [registry] });
}

/** Compiles the configured rules: presets in their fixed order, then custom patterns. Throws CONFIG_INVALID naming `patterns[i]`. */
export function compileRules(patterns: ReadonlyArray<string>, presets: ReadonlyArray<PresetName>): Rule[] {
  const rules = presetRules(presets);
  patterns.forEach((p, i) => {
    let re: RegExp;
    try {
      re = new RegExp(p, 'g');
    } catch (e) {
      throw new VigilError('CONFIG_INVALID', `patterns[${i}]: ${(e as Error).message}`);
    }
    if (new RegExp(p).test('')) throw new VigilError('CONFIG_INVALID', `patterns[${i}]: matches the empty string`);
    rules.push({ name: `patterns[${i}]`, re });
  });
  return rules;
}

export default defineTransform({
  kind: 'transform',
  type: 'redact',
  description: 'Redacts sensitive data (regexes and presets such as email, credit cards, tokens) in lines and fields.',
  schema,
  example: { presets: ['email', 'credit_card', 'password_in_url'], patterns: ['ssn=\\d{3}-\\d{2}-\\d{4}'], replacement: '[REDACTED]' },
  build(config, ctx) {
    const rules = compileRules(config.patterns ?? [], config.presets ?? []);
    const replacement = config.replacement ?? '[REDACTED]';
    const counter = redactionsCounter(ctx.metrics.registry);
    const counts = new Array<number>(rules.length).fill(0);
    // One replacer per rule, made once: the hot loop allocates no closures.
    const replacers = rules.map((r, k) => {
      const text = r.replacement ?? replacement;
      const suffix = r.suffix ?? '';
      return (match: string, ...groups: unknown[]): string => {
        if (r.check && !r.check(match)) return match;
        counts[k] = (counts[k] as number) + 1;
        return (r.keepPrefix ? (groups[0] as string) : '') + text + suffix;
      };
    });
    const redact = (text: string): string => {
      let t = text;
      for (let k = 0; k < rules.length; k++) {
        const rule = rules[k] as Rule;
        rule.re.lastIndex = 0;
        if (!rule.re.test(t)) continue;
        rule.re.lastIndex = 0;
        t = t.replace(rule.re, replacers[k] as (m: string, ...g: unknown[]) => string);
      }
      return t;
    };
    return {
      process(batch: LogBatch): LogBatch {
        if (rules.length === 0) return batch;
        for (const s of batch.streams) {
          const lines = s.lines;
          for (let i = 0; i < lines.length; i++) lines[i] = redact(lines[i] as string);
          const fields = s.fields;
          if (!fields) continue;
          for (const f of fields) {
            if (!f) continue;
            for (const name in f) f[name] = redact(f[name] as string);
          }
        }
        for (let k = 0; k < counts.length; k++) {
          const c = counts[k] as number;
          if (c === 0) continue;
          counter.inc({ component: ctx.id, rule: (rules[k] as Rule).name }, c);
          counts[k] = 0;
        }
        return batch;
      },
    };
  },
});
