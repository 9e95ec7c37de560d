/**
 * Schema validation for config and components: TypeBox schemas checked by ajv with all errors
 * collected, each reported with a dotted path (`sources.varlog.include[0]: must be string`).
 */
import { goRegExp } from '../core/regex.js';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseDuration } from '../core/time.js';
import { parseBytes } from '../core/units.js';

/** One problem in a config, with where it is. */
export interface ConfigIssue {
  /** Path segments from the document root, e.g. ['sources', 'varlog', 'include', 0]. */
  path: Array<string | number>;
  message: string;
  /** `file:line:column` when known (filled in by the loader). */
  location?: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
ajv.addFormat('prom-duration', { type: 'string', validate: (s: string) => parseDuration(s) !== undefined });
ajv.addFormat('byte-size', { type: 'string', validate: (s: string) => parseBytes(s) !== undefined });
// Go/RE2 syntax (`(?i)`, `\\z`, ...) as Prometheus users write it; translated the same way where it is used.
ajv.addFormat('regex-re2', { type: 'string', validate: (s: string) => { try { goRegExp(s); return true; } catch { return false; } } });
ajv.addFormat('listen-address', { type: 'string', validate: (s: string) => /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(s) });
const cache = new WeakMap<object, ValidateFunction>();

function compile(schema: TSchema): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

/** `a.b[0].c` text of a path. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): { extra: Array<string | number>; message: string } {
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return { extra: [key], message: 'unknown key' };
    }
    case 'required':
      return { extra: [(e.params as { missingProperty: string }).missingProperty], message: 'is required' };
    case 'enum':
      return {
        extra: [],
        message: `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'format': {
      const f = (e.params as { format: string }).format;
      const hint: Record<string, string> = {
        'prom-duration': 'must be a duration like 30s, 5m, 1h30m, 7d',
        'byte-size': 'must be a size like 1048576, 512KiB, 10MB',
        'regex-re2': 'must be a valid regular expression',
        'listen-address': 'must be host:port, e.g. 127.0.0.1:9470 or [::1]:9470',
      };
      return { extra: [], message: hint[f] ?? `must be a valid ${f}` };
    }
    case 'const':
      return { extra: [], message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    default:
      return { extra: [], message: e.message ?? e.keyword };
  }
}

/**
 * Validates `value` (mutating it to apply schema defaults) and returns every issue found, paths
 * prefixed with `base`. Union schemas report only the most specific branch's errors.
 */
export function validateAgainst(schema: TSchema, value: unknown, base: Array<string | number> = []): ConfigIssue[] {
  const validate = compile(schema);
  if (validate(value)) return [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const errors = validate.errors ?? [];
  // Drop the generic "must match a schema in anyOf" when a branch gave specifics.
  const filtered = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf') ;
  for (const e of filtered.length > 0 ? filtered : errors) {
    const d = describe(e);
    const path = [...base, ...pointerToPath(e.instancePath), ...d.extra];
    const key = `${formatPath(path)}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message: d.message });
  }
  return issues;
}

/** Formats issues one per line: `file:3:5 sources.x.include: must be array`. */
export function formatIssues(issues: ReadonlyArray<ConfigIssue>): string {
  return issues.map((i) => `${i.location ? `${i.location} ` : ''}${formatPath(i.path)}: ${i.message}`).join('\n');
}
