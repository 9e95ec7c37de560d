/**
 * Compares two Prometheus API `matrix` results (Vigil's and Prometheus's answer to the same
 * query_range): the same series (by label set), the same timestamps, values equal within a
 * relative tolerance (float sums may differ in the last bits: Prometheus 3 and Vigil use Kahan
 * summation, Prometheus 2 does not). A fast wrong answer must not pass as a fast one.
 */

export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface CompareResult {
  equal: boolean;
  series: number;
  points: number;
  /** Largest |a-b| / max(|a|,|b|) over all points (0 when identical). */
  maxRelDiff: number;
  /** The first difference found, for the report; undefined when equal. */
  mismatch?: string;
}

const key = (m: Record<string, string>) =>
  JSON.stringify(Object.entries(m).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));

function relDiff(a: number, b: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const m = Math.max(Math.abs(a), Math.abs(b));
  // Values that both round to zero (e.g. 1e-17 vs 0 after a sum of rates) are equal.
  return m < 1e-12 ? 0 : Math.abs(a - b) / m;
}

/** `a` is the candidate (Vigil), `b` the reference (Prometheus). */
export function compareMatrix(a: MatrixSeries[], b: MatrixSeries[], relTol = 1e-9): CompareResult {
  const res: CompareResult = { equal: true, series: b.length, points: 0, maxRelDiff: 0 };
  const fail = (msg: string) => {
    if (res.equal) res.mismatch = msg;
    res.equal = false;
  };
  const byKey = new Map(a.map((s) => [key(s.metric), s]));
  if (a.length !== b.length) fail(`${a.length} series from the candidate, ${b.length} from the reference`);
  for (const ref of b) {
    const k = key(ref.metric);
    const got = byKey.get(k);
    if (!got) {
      fail(`series ${k} missing from the candidate`);
      continue;
    }
    res.points += ref.values.length;
    if (got.values.length !== ref.values.length) {
      fail(`series ${k}: ${got.values.length} points from the candidate, ${ref.values.length} from the reference`);
      continue;
    }
    for (let i = 0; i < ref.values.length; i++) {
      const [tr, vr] = ref.values[i] as [number, string];
      const [tg, vg] = got.values[i] as [number, string];
      if (tr !== tg) {
        fail(`series ${k} point ${i}: time ${tg} vs ${tr}`);
        break;
      }
      const d = relDiff(Number(vg), Number(vr));
      if (d > res.maxRelDiff) res.maxRelDiff = d;
      if (d > relTol) fail(`series ${k} at ${tr}: ${vg} vs ${vr} (relative difference ${d.toExponential(2)})`);
    }
  }
  return res;
}
