/**
 * Prometheus's relabeling (model/relabel/relabel.go): the same actions, defaults, regex anchoring
 * and `$1`/`${name}` expansion, so relabel_configs copied from a Prometheus config behave the same.
 * Used for target relabeling, metric_relabel_configs and the remote write sender's
 * write_relabel_configs.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { ConfigIssue } from '../config/validate.js';
import type { Labels } from '../core/labels.js';
import { isValidLabelName } from '../core/labels.js';
import { anchoredGoRegExp } from '../core/regex.js';

export const RELABEL_ACTIONS = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** One relabel rule in Prometheus's YAML syntax (snake_case keys, same defaults). */
export const RelabelConfigSchema = Type.Object(
  {
    source_labels: Type.Optional(Type.Array(Type.String(), { description: 'Labels whose values are joined with `separator` and matched against `regex`.' })),
    separator: Type.Optional(Type.String({ description: 'Joins the source label values. Default `;`.' })),
    regex: Type.Optional(Type.String({ description: 'RE2 regular expression, fully anchored. Default `(.*)`.' })),
    modulus: Type.Optional(Type.Integer({ minimum: 0, description: 'Modulus for `hashmod`.' })),
    target_label: Type.Optional(Type.String({ description: 'Label written by replace, hashmod, lowercase, uppercase; compared by keepequal/dropequal.' })),
    replacement: Type.Optional(Type.String({ description: 'Replacement with `$1`, `${1}`, `${name}` group references. Default `$1`.' })),
    action: Type.Optional(Type.Union(RELABEL_ACTIONS.map((a) => Type.Literal(a)), { description: 'What to do. Default `replace`.' })),
  },
  { additionalProperties: false },
);
export type RelabelConfig = Static<typeof RelabelConfigSchema>;

/** A validated rule with defaults applied and its regex compiled. */
export interface CompiledRelabel {
  sourceLabels: string[];
  separator: string;
  regex: RegExp;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
}

// Prometheus's relabelTarget: label name characters, possibly with $1 / ${name} references.
const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/**
 * Validates and compiles rules, pushing every problem (with its path under `base`) to `issues`;
 * returns only the rules that compiled. Mirrors relabel.Config.Validate's checks and messages.
 */
export function compileRelabelConfigs(configs: ReadonlyArray<RelabelConfig> | undefined, base: Array<string | number>, issues: ConfigIssue[]): CompiledRelabel[] {
  const out: CompiledRelabel[] = [];
  (configs ?? []).forEach((c, i) => {
    const path = [...base, i];
    const before = issues.length;
    const action = c.action ?? 'replace';
    let regex: RegExp | undefined;
    try {
      regex = anchoredGoRegExp(c.regex ?? '(.*)');
    } catch (e) {
      issues.push({ path: [...path, 'regex'], message: `invalid regular expression: ${(e as Error).message}` });
    }
    const target = c.target_label ?? '';
    const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);
    if (needsTarget && target === '') issues.push({ path: [...path, 'target_label'], message: `relabel configuration for ${action} action requires 'target_label' value` });
    if (action === 'replace' && target !== '' && !RELABEL_TARGET.test(target)) issues.push({ path: [...path, 'target_label'], message: `${JSON.stringify(target)} is invalid 'target_label' for replace action` });
    if (['lowercase', 'uppercase', 'keepequal', 'dropequal', 'hashmod'].includes(action) && target !== '' && !isValidLabelName(target)) {
      issues.push({ path: [...path, 'target_label'], message: `${JSON.stringify(target)} is invalid 'target_label' for ${action} action` });
    }
    if (action === 'hashmod' && !c.modulus) issues.push({ path: [...path, 'modulus'], message: 'relabel configuration for hashmod requires non-zero modulus' });
    if ((action === 'keepequal' || action === 'dropequal') && (c.regex !== undefined || c.modulus !== undefined || c.separator !== undefined || c.replacement !== undefined)) {
      issues.push({ path, message: `${action} action requires only 'source_labels' and 'target_label', and no other fields` });
    }
    if ((action === 'labeldrop' || action === 'labelkeep') && (c.source_labels !== undefined || c.target_label !== undefined || c.modulus !== undefined || c.separator !== undefined || c.replacement !== undefined)) {
      issues.push({ path, message: `${action} action requires only 'regex', and no other fields` });
    }
    if (issues.length === before && regex) {
      out.push({ sourceLabels: c.source_labels ?? [], separator: c.separator ?? ';', regex, modulus: c.modulus ?? 0, targetLabel: target, replacement: c.replacement ?? '$1', action });
    }
  });
  return out;
}

/**
 * Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. A name is the longest run of word
 * characters, so `$1x` means the group named `1x` (empty), as in Go; unknown groups expand empty.
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const close = template.indexOf('}', i);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (close > 0 && /^\w+$/.test(inner)) {
        name = inner;
        i = close + 1;
      }
    } else {
      const w = /^\w+/.exec(template.slice(i));
      if (w) {
        name = w[0];
        i += name.length;
      }
    }
    if (name === undefined) {
      out += '$'; // malformed reference: Go keeps the dollar literally
      continue;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
  }
  return out;
}

/** Prometheus's sum64(md5(value)): the digest's low 8 bytes as a big-endian integer, mod `modulus`. */
function hashMod(value: string, modulus: number): string {
  const d = createHash('md5').update(value).digest();
  return (d.readBigUInt64BE(8) % BigInt(modulus)).toString();
}

/**
 * Applies `rules` in order to a copy of `labels`. Returns the new labels (empty values removed, as
 * Prometheus's label builder does), or undefined when a keep/drop rule dropped the set. Never throws.
 */
export function relabel(labels: Readonly<Labels>, rules: ReadonlyArray<CompiledRelabel>): Labels | undefined {
  const lb: Labels = { ...labels };
  for (const r of rules) {
    let val = '';
    if (r.sourceLabels.length === 1) val = lb[r.sourceLabels[0] as string] ?? '';
    else if (r.sourceLabels.length > 1) val = r.sourceLabels.map((n) => lb[n] ?? '').join(r.separator);
    switch (r.action) {
      case 'drop':
        if (r.regex.test(val)) return undefined;
        break;
      case 'keep':
        if (!r.regex.test(val)) return undefined;
        break;
      case 'dropequal':
        if ((lb[r.targetLabel] ?? '') === val) return undefined;
        break;
      case 'keepequal':
        if ((lb[r.targetLabel] ?? '') !== val) return undefined;
        break;
      case 'replace': {
        const m = r.regex.exec(val);
        if (!m) break;
        const target = expandTemplate(r.targetLabel, m);
        if (!isValidLabelName(target)) break;
        const res = expandTemplate(r.replacement, m);
        if (res === '') delete lb[target];
        else lb[target] = res;
        break;
      }
      case 'lowercase':
        setOrDelete(lb, r.targetLabel, val.toLowerCase());
        break;
      case 'uppercase':
        setOrDelete(lb, r.targetLabel, val.toUpperCase());
        break;
      case 'hashmod':
        lb[r.targetLabel] = hashMod(val, r.modulus);
        break;
      case 'labelmap':
        for (const name of Object.keys(lb)) {
          const m = r.regex.exec(name);
          if (!m) continue;
          const res = expandTemplate(r.replacement, m);
          setOrDelete(lb, res, lb[name] as string);
        }
        break;
      case 'labeldrop':
        for (const name of Object.keys(lb)) if (r.regex.test(name)) delete lb[name];
        break;
      case 'labelkeep':
        for (const name of Object.keys(lb)) if (!r.regex.test(name)) delete lb[name];
        break;
    }
  }
  for (const k of Object.keys(lb)) if (lb[k] === '') delete lb[k];
  return lb;
}

function setOrDelete(lb: Labels, name: string, value: string): void {
  if (value === '') delete lb[name];
  else lb[name] = value;
}
