/**
 * The step-wise values metric expressions evaluate to: every series holds one slot per
 * evaluation time (start, start+step, ..., end), with a presence flag per slot.
 */
import { formatLabels, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';

export interface Steps {
  start: Micros;
  step: Micros;
  n: number;
}

export function stepTime(s: Steps, i: number): Micros {
  return s.start + i * s.step;
}

export interface Series {
  labels: Labels;
  key: string;
  vals: Float64Array;
  has: Uint8Array;
}

export type Value = { kind: 'vector'; series: Series[] } | { kind: 'scalar'; vals: Float64Array };

export function newSeries(labels: Labels, n: number, key = formatLabels(labels)): Series {
  return { labels, key, vals: new Float64Array(n), has: new Uint8Array(n) };
}

/** Prometheus' labels.Compare: sorted names then values, pairwise; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
    const vx = a[x] as string;
    const vy = b[y] as string;
    if (vx !== vy) return vx < vy ? -1 : 1;
  }
  return ka.length - kb.length;
}

/** Prometheus' sample value text: strconv.FormatFloat(v, 'f', -1, 64), NaN and ±Inf spelled as Go does. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand the exponent form JS uses for very large/small numbers into plain decimals.
  const [mant, expText] = s.split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const point = (mant.replace('-', '').indexOf('.') + 1 || mant.replace('-', '').length + 1) - 1 + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** Micros to Loki's float seconds with millisecond precision. */
export function microsToSeconds(t: Micros): number {
  return Math.round(t / 1000) / 1000;
}

/** Labels reduced by a `by (...)` / `without (...)` clause. */
export function groupLabels(labels: Labels, grouping: { without: boolean; labels: string[] } | undefined): Labels {
  if (!grouping) return {};
  const out: Labels = {};
  if (grouping.without) {
    for (const [k, v] of Object.entries(labels)) if (!grouping.labels.includes(k)) out[k] = v;
  } else {
    for (const k of grouping.labels) {
      const v = labels[k];
      if (v !== undefined && v !== '') out[k] = v;
    }
  }
  return out;
}
