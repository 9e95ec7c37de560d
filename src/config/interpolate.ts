/**
 * `${VAR}` and `${VAR:-default}` in config string values, as Loki's -config.expand-env and Docker
 * Compose do; `$$` is a literal `$`. Applied to parsed scalars (not raw text) so YAML positions stay
 * exact and a variable's value can never inject YAML structure.
 */
export interface InterpolationError {
  path: Array<string | number>;
  message: string;
}

const WHOLE_VAR = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}$/;
const VAR = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$\{([^}]*)\}?/g;

function interpolateString(s: string, env: Readonly<Record<string, string | undefined>>, path: Array<string | number>, errors: InterpolationError[]): string {
  if (!s.includes('$')) return s;
  return s.replace(VAR, (all, name: string | undefined, def: string | undefined, bad: string | undefined) => {
    if (all === '$$') return '$';
    if (name === undefined) {
      errors.push({ path, message: `malformed variable reference ${JSON.stringify(all)} (use \${NAME} or \${NAME:-default}; $$ for a literal $)` });
      return all;
    }
    void bad;
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    if (v === '') return '';
    errors.push({ path, message: `environment variable ${name} is not set (give a default with \${${name}:-value})` });
    return '';
  });
}

/** Returns a copy of `value` with every string interpolated; errors carry the path of the string. */
export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>>, errors: InterpolationError[], path: Array<string | number> = []): unknown {
  if (typeof value === 'string') {
    const out = interpolateString(value, env, path, errors);
    // A value that is one whole `${...}` takes the YAML type of what it expands to (`max: ${N}` is a number,
    // `public: ${X:-false}` a boolean), as if the text had been substituted before parsing.
    if (out !== value && WHOLE_VAR.test(value)) {
      if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(out.trim())) return Number(out);
      if (/^(true|false)$/i.test(out.trim())) return out.trim().toLowerCase() === 'true';
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, errors, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, errors, [...path, k]);
    return out;
  }
  return value;
}
