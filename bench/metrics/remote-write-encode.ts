/**
 * Remote write 1.0 request bodies for the PromQL bench: a WriteRequest protobuf
 * (prompb/remote.proto, types.proto) built straight into one Buffer, then snappy block
 * compression, so Prometheus's receiver and Vigil's get byte-identical requests.
 */
import snappy from 'snappy';
import { varintSize, writeVarint } from '../../src/metrics/remote-write/codec.js';

/** The `labels` fields (field 1, repeated Label) of one TimeSeries, encoded once per series. */
export function encodeLabels(labels: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of labels) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    const inner = 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length;
    const b = Buffer.alloc(1 + varintSize(inner) + inner);
    let p = 0;
    b[p++] = 0x0a;
    p = writeVarint(b, p, inner);
    b[p++] = 0x0a;
    p = writeVarint(b, p, n.length);
    p += n.copy(b, p);
    b[p++] = 0x12;
    p = writeVarint(b, p, v.length);
    v.copy(b, p);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export interface EncodeSeries {
  /** From encodeLabels. */
  labels: Buffer;
  /** Timestamps, integer ms >= 0, and values; the first `n` are sent. */
  t: ArrayLike<number>;
  v: ArrayLike<number>;
  n: number;
}

/** One uncompressed WriteRequest holding every series' first `n` samples. */
export function encodeWriteRequest(series: EncodeSeries[]): Buffer {
  let total = 0;
  const tsLen = new Array<number>(series.length);
  for (let i = 0; i < series.length; i++) {
    const s = series[i] as EncodeSeries;
    let len = s.labels.length;
    for (let k = 0; k < s.n; k++) {
      const inner = 9 + 1 + varintSize(s.t[k] ?? 0);
      len += 1 + varintSize(inner) + inner;
    }
    tsLen[i] = len;
    total += 1 + varintSize(len) + len;
  }
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i] as EncodeSeries;
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, tsLen[i] ?? 0);
    p += s.labels.copy(buf, p);
    for (let k = 0; k < s.n; k++) {
      const t = s.t[k] ?? 0;
      buf[p++] = 0x12;
      p = writeVarint(buf, p, 9 + 1 + varintSize(t));
      buf[p++] = 0x09;
      buf.writeDoubleLE(s.v[k] ?? 0, p);
      p += 8;
      buf[p++] = 0x10;
      p = writeVarint(buf, p, t);
    }
  }
  if (p !== total) throw new Error(`encoder size mismatch: wrote ${p} of ${total} bytes`);
  return buf;
}

/** encodeWriteRequest, snappy-compressed (the body of `POST /api/v1/write`). */
export function compressedWriteRequest(series: EncodeSeries[]): Buffer {
  return snappy.compressSync(encodeWriteRequest(series));
}

/** POSTs one compressed body; throws with the peer's answer when it is not 2xx. */
export async function postWrite(url: string, body: Buffer): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 2000)}`);
  await res.arrayBuffer();
}
