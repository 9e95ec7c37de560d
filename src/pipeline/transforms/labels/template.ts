/**
 * The small template language of the `labels` transform's `add` values: literal text with
 * `{{.name}}` (or `{{ .name }}`) references to an entry's fields or its stream's labels.
 */
import { VigilError } from '../../../core/errors.js';
import type { Labels } from '../../../core/labels.js';

/** Alternating parts: `parts[0]` literal, `names[k]` then `parts[k+1]` literal. */
export interface Template {
  parts: string[];
  names: string[];
}

const REF = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Compiles `text`; throws CONFIG_INVALID (naming `where` and the byte offset) on a `{{` that is not `{{.name}}`. */
export function compileTemplate(text: string, where: string): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of text.matchAll(REF)) {
    const lit = text.slice(last, m.index);
    checkLiteral(lit, where, last);
    parts.push(lit);
    names.push(m[1] as string);
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  checkLiteral(tail, where, last);
  parts.push(tail);
  return { parts, names };
}

function checkLiteral(lit: string, where: string, offset: number): void {
  const i = lit.indexOf('{{');
  if (i >= 0) throw new VigilError('CONFIG_INVALID', `${where}: bad template at byte ${offset + i}: expected {{.name}}`);
}

/** Renders for one entry: a field wins over a stream label of the same name; missing names render empty. */
export function renderTemplate(t: Template, labels: Labels, fields: Readonly<Record<string, string>> | undefined): string {
  let out = t.parts[0] as string;
  for (let k = 0; k < t.names.length; k++) {
    const n = t.names[k] as string;
    out += (fields?.[n] ?? labels[n] ?? '') + (t.parts[k + 1] as string);
  }
  return out;
}
