/**
 * Decodes a Prometheus remote write 1.0 WriteRequest (prompb/remote.proto, types.proto):
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                          repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }
 *
 * Walks the wire format with protobufjs's Reader. Sample values are copied as raw bytes into a
 * Float64Array so staleness markers (a NaN payload) survive; exemplars, histograms and metadata
 * are skipped (counted, not stored).
 */
import protobuf from 'protobufjs';
import { VigilError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';

export interface DecodedSeries {
  labels: Labels;
  /** Sample timestamps, integer ms. */
  t: number[];
  /** Values as stored on the wire (NaN payloads intact). */
  v: Float64Array;
}

export interface DecodedWriteRequest {
  series: DecodedSeries[];
  samples: number;
  /** Native histograms sent (not stored by Vigil yet). */
  histograms: number;
  exemplars: number;
  /** A series whose labels were invalid (duplicate name), with the reason; its samples are refused. */
  badSeries: Array<{ index: number; reason: string }>;
}

const WIRE_LEN = 2;
const WIRE_FIXED64 = 1;
const WIRE_VARINT = 0;

function malformed(where: string, e: unknown): VigilError {
  const why = e instanceof Error ? e.message : String(e);
  return new VigilError('BAD_REQUEST', `malformed remote write request: ${where}: ${why}`);
}

function expectWire(actual: number, wanted: number, what: string): void {
  if (actual !== wanted) throw new Error(`${what} has wire type ${actual}, expected ${wanted}`);
}

function readLabel(r: protobuf.Reader, end: number): [string, string] {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) { expectWire(tag & 7, WIRE_LEN, 'Label.name'); name = r.string(); }
    else if (field === 2) { expectWire(tag & 7, WIRE_LEN, 'Label.value'); value = r.string(); }
    else r.skipType(tag & 7);
  }
  return [name, value];
}

function readSample(r: protobuf.Reader, end: number, buf: Uint8Array, vBytes: number[]): number {
  let t = 0;
  let vAt = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(tag & 7, WIRE_FIXED64, 'Sample.value');
      if (r.pos + 8 > end) throw new Error('Sample.value is truncated');
      vAt = r.pos;
      r.pos += 8;
    } else if (field === 2) {
      expectWire(tag & 7, WIRE_VARINT, 'Sample.timestamp');
      const l = r.int64();
      t = typeof l === 'number' ? l : protobuf.util.LongBits.from(l).toNumber();
    } else r.skipType(tag & 7);
  }
  // An absent value is proto3's default 0.
  if (vAt < 0) for (let k = 0; k < 8; k++) vBytes.push(0);
  else for (let k = 0; k < 8; k++) vBytes.push(buf[vAt + k] as number);
  return t;
}

/**
 * Decodes an uncompressed WriteRequest. A body that is not a valid WriteRequest throws
 * BAD_REQUEST naming the time series and byte offset where decoding failed.
 */
export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  const r = protobuf.Reader.create(buf);
  const out: DecodedWriteRequest = { series: [], samples: 0, histograms: 0, exemplars: 0, badSeries: [] };
  let index = -1;
  let where = 'WriteRequest';
  try {
    while (r.pos < r.len) {
      const at = r.pos;
      where = `WriteRequest at byte ${at}`;
      const tag = r.uint32();
      if (tag >>> 3 !== 1) {
        r.skipType(tag & 7);
        continue;
      }
      expectWire(tag & 7, WIRE_LEN, 'WriteRequest.timeseries');
      index++;
      where = `timeseries[${index}] at byte ${at}`;
      const end = r.uint32() + r.pos;
      if (end > r.len) throw new Error('length runs past the end of the body');
      const labels: Labels = {};
      let dupe: string | undefined;
      const t: number[] = [];
      const vBytes: number[] = [];
      while (r.pos < end) {
        const ftag = r.uint32();
        const field = ftag >>> 3;
        if (field === 1 || field === 2) {
          expectWire(ftag & 7, WIRE_LEN, field === 1 ? 'TimeSeries.labels' : 'TimeSeries.samples');
          const subEnd = r.uint32() + r.pos;
          if (subEnd > end) throw new Error('a nested message runs past its time series');
          if (field === 1) {
            const [name, value] = readLabel(r, subEnd);
            if (name in labels) dupe ??= name;
            labels[name] = value;
          } else t.push(readSample(r, subEnd, buf, vBytes));
        } else {
          if (field === 3) out.exemplars++;
          if (field === 4) out.histograms++;
          r.skipType(ftag & 7);
        }
      }
      if (r.pos !== end) throw new Error('a nested message runs past its time series');
      const v = new Float64Array(new Uint8Array(vBytes).buffer);
      out.samples += t.length;
      if (dupe !== undefined) out.badSeries.push({ index, reason: `duplicate label name: ${JSON.stringify(dupe)}` });
      out.series.push({ labels, t, v });
    }
  } catch (e) {
    throw malformed(where, e);
  }
  return out;
}
