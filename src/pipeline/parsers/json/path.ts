/**
 * JSON paths as LogQL's `| json name="a.b[0]"` writes them: dotted keys, `[n]` indexes and
 * `["quoted key"]` for keys with dots. Compiled once per config, evaluated per line.
 */
export type PathSegment = string | number;

/** Compiles `a.b[0]["c.d"]`; throws an Error naming the position when malformed. Used at build time. */
export function compilePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  const n = path.length;
  const fail = (why: string): never => {
    throw new Error(`JSON path ${JSON.stringify(path)} at ${i}: ${why}`);
  };
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      if (i === 0 || i === n - 1) fail('misplaced "."');
      i++;
      continue;
    }
    if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) fail('unclosed "["');
      const inner = path.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner) || /^'[^']*'$/.test(inner)) out.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : inner.slice(1, -1));
      else fail('expected an index or a quoted key inside []');
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < n && path[j] !== '.' && path[j] !== '[') j++;
    out.push(path.slice(i, j));
    i = j;
  }
  if (out.length === 0) fail('empty path');
  return out;
}

/** The value at `path` in `root`, or undefined when any step is missing. */
export function evalPath(root: unknown, path: ReadonlyArray<PathSegment>): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[seg];
    } else {
      if (Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  return v;
}

/** A JSON value as a field/label string: strings as is, scalars printed, objects/arrays as JSON, null as ''. */
export function valueText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
