/**
 * The small JSONPath subset an HTTP health check needs: `$`, `.name`, `['name']`, `["name"]`,
 * `[index]` (negative counts from the end). Wildcards and filters are not supported: a health
 * assertion names one value.
 */

export type PathStep = string | number;

/** Parses `$.a.b[0]['c d']`; throws with the byte offset of the first thing it cannot read. */
export function parseJsonPath(path: string): PathStep[] {
  if (!path.startsWith('$')) throw new Error(`json_path must start with $ (offset 0)`);
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i + 1));
      if (!m) throw new Error(`json_path: expected a name at offset ${i + 1}`);
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (ch === '[') {
      const rest = path.slice(i);
      const m = /^\[\s*(?:(-?\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
      if (!m) throw new Error(`json_path: expected [index] or ['name'] at offset ${i}`);
      if (m[1] !== undefined) steps.push(Number(m[1]));
      else steps.push((m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
      i += m[0].length;
    } else {
      throw new Error(`json_path: unexpected "${ch}" at offset ${i}`);
    }
  }
  return steps;
}

/** The value at `steps`, or `undefined` with `found: false` when any step is missing. */
export function evalJsonPath(doc: unknown, steps: ReadonlyArray<PathStep>): { found: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const s of steps) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return { found: false, value: undefined };
      const idx = s < 0 ? cur.length + s : s;
      if (idx < 0 || idx >= cur.length) return { found: false, value: undefined };
      cur = cur[idx];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return { found: true, value: cur };
}

/** How a value compares to the user's `json_equals` text: strings bare, everything else as JSON. */
export function jsonText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
