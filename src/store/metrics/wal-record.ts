/**
 * The payload of one metrics write-ahead log record: the accepted samples of one append. Series
 * travel by their labels (not catalog ids), so replay never depends on catalog rows that a crash
 * may have lost; values as raw little-endian float64, so StaleNaN survives bit-exactly.
 *
 * Layout: u8 version (1), u16 tenant length, tenant, u32 series count; per series u32 labels
 * length, labels JSON (sorted keys), u32 n, n f64 timestamps, n f64 values.
 */
import type { Labels } from '../../core/labels.js';

export interface WalSeries {
  labelsJson: string;
  t: ArrayLike<number>;
  v: Float64Array;
}

export interface DecodedWalRecord {
  tenant: string;
  series: Array<{ labels: Labels; labelsJson: string; t: Float64Array; v: Float64Array }>;
}

/** Encodes one append's accepted samples. */
export function encodeWalRecord(tenant: string, series: ReadonlyArray<WalSeries>): Buffer {
  const tenantBuf = Buffer.from(tenant);
  const labelBufs = series.map((s) => Buffer.from(s.labelsJson));
  let size = 1 + 2 + tenantBuf.length + 4;
  for (let i = 0; i < series.length; i++) size += 8 + (labelBufs[i] as Buffer).length + 16 * (series[i] as WalSeries).t.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt8(1, 0);
  o = b.writeUInt16LE(tenantBuf.length, o);
  o += tenantBuf.copy(b, o);
  o = b.writeUInt32LE(series.length, o);
  for (let i = 0; i < series.length; i++) {
    const s = series[i] as WalSeries;
    const lb = labelBufs[i] as Buffer;
    o = b.writeUInt32LE(lb.length, o);
    o += lb.copy(b, o);
    const n = s.t.length;
    o = b.writeUInt32LE(n, o);
    for (let k = 0; k < n; k++) o = b.writeDoubleLE(s.t[k] as number, o);
    // Raw bytes of the Float64Array: no float conversion that could canonicalize a NaN payload.
    o += Buffer.from(s.v.buffer, s.v.byteOffset, n * 8).copy(b, o);
  }
  return b;
}

/** Decodes a record; throws with the byte offset on malformed input (replay counts and skips it). */
export function decodeWalRecord(b: Buffer): DecodedWalRecord {
  const need = (o: number, n: number) => {
    if (o + n > b.length) throw new Error(`metrics WAL record truncated at byte ${o} (need ${n} of ${b.length - o})`);
  };
  need(0, 3);
  if (b.readUInt8(0) !== 1) throw new Error(`metrics WAL record: unknown version ${b.readUInt8(0)} at byte 0`);
  const tl = b.readUInt16LE(1);
  need(3, tl + 4);
  const tenant = b.toString('utf8', 3, 3 + tl);
  let o = 3 + tl;
  const count = b.readUInt32LE(o);
  o += 4;
  const series: DecodedWalRecord['series'] = [];
  for (let i = 0; i < count; i++) {
    need(o, 4);
    const ll = b.readUInt32LE(o);
    o += 4;
    need(o, ll + 4);
    const labelsJson = b.toString('utf8', o, o + ll);
    o += ll;
    const labels = JSON.parse(labelsJson) as Labels;
    const n = b.readUInt32LE(o);
    o += 4;
    need(o, n * 16);
    const t = new Float64Array(n);
    for (let k = 0; k < n; k++) t[k] = b.readDoubleLE(o + k * 8);
    o += n * 8;
    const v = new Float64Array(n);
    Buffer.from(v.buffer).set(b.subarray(o, o + n * 8));
    o += n * 8;
    series.push({ labels, labelsJson, t, v });
  }
  return { tenant, series };
}
