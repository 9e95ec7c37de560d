/**
 * Per-series in-memory state: the open head (raw samples, sorted) and chunks cut from it but not
 * yet flushed. `applySample` is the one place the ordering rules live, used by append and by WAL
 * replay alike, so a replayed log rebuilds exactly the heads the acknowledged appends built.
 */
import type { Labels } from '../../core/labels.js';
import { ChunkList } from './chunk-list.js';
import { encodeChunk } from './gorilla.js';

export interface Head {
  t: number[];
  v: Float64Array;
  /** 32-bit words over `v`'s buffer: values are written as raw bits, never through a float. */
  w: Uint32Array;
  n: number;
  /** Lower bound of the WAL LSN of this head's oldest sample: WAL before it may be deleted. */
  minLsn: number;
  /** Wall clock (ms) when the head got its first sample. */
  createdAt: number;
}

export interface PendingChunk {
  buf: Buffer;
  minT: number;
  maxT: number;
  count: number;
  minLsn: number;
}

export interface SeriesState {
  id: number;
  tenant: string;
  labels: Labels;
  labelsJson: string;
  /** Span of all data (chunks, pending, head); NaN when none. */
  minT: number;
  maxT: number;
  /** Samples with t <= this are in committed chunks (persisted in the catalog). */
  flushedMaxT: number;
  /** Samples with t <= this were cut into chunks: a new sample must be newer. */
  cutMaxT: number;
  /** The last sample appended (to ignore a retried duplicate after its head was cut). */
  lastT: number;
  /** Low and high 32 bits of the last sample's value (raw, so NaN payloads compare exactly). */
  lastLo: number;
  lastHi: number;
  head: Head | undefined;
  pending: PendingChunk[];
  /** Committed chunks (mirrors the catalog; see chunk-list.ts). */
  chunks: ChunkList;
}

export interface HeadLimits {
  outOfOrderWindowMs: number;
  chunkMaxSamples: number;
  chunkMaxSpanMs: number;
}

export const OUT_OF_ORDER = 'out of order sample';
export const DUPLICATE = 'duplicate sample for timestamp';


// A one-entry cache of a 32-bit view over the values being applied: applySample runs once per
// sample over the same array, and a DataView or tuple per sample was a large share of ingest GC.
let viewOf: Float64Array | undefined;
let view: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function words(v: Float64Array): Uint32Array {
  if (v !== viewOf) {
    viewOf = v;
    view = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  }
  return view;
}

/** Low 32 bits of value i (little-endian word order, as the WAL and chunks store them). */
function loOf(v: Float64Array, i: number): number {
  return words(v)[LE ? 2 * i : 2 * i + 1] as number;
}

function hiOf(v: Float64Array, i: number): number {
  return words(v)[LE ? 2 * i + 1 : 2 * i] as number;
}

export function newSeriesState(id: number, tenant: string, labels: Labels, labelsJson: string, flushedMaxT: number): SeriesState {
  return { id, tenant, labels, labelsJson, minT: NaN, maxT: NaN, flushedMaxT, cutMaxT: flushedMaxT, lastT: NaN, lastLo: 0, lastHi: 0, head: undefined, pending: [], chunks: new ChunkList() };
}

/** Cuts the head (if any) into a pending chunk. */
export function cutHead(s: SeriesState): void {
  const h = s.head;
  if (!h || h.n === 0) return;
  const minT = h.t[0] as number;
  const maxT = h.t[h.n - 1] as number;
  s.pending.push({ buf: encodeChunk(h.t, h.v, h.n), minT, maxT, count: h.n, minLsn: h.minLsn });
  s.cutMaxT = Math.max(s.cutMaxT, maxT);
  s.head = undefined;
}

/**
 * Applies sample `i` of `v` at time `t`. Returns 'ok', 'dup' (identical to a stored sample:
 * ignored) or the refusal reason. `lsn` and `wallMs` seed a new head.
 */
export function applySample(s: SeriesState, t: number, v: Float64Array, i: number, lim: HeadLimits, lsn: number, wallMs: number): 'ok' | 'dup' | string {
  const lo = loOf(v, i);
  const hi = hiOf(v, i);
  if (t === s.lastT) return s.lastLo === lo && s.lastHi === hi ? 'dup' : DUPLICATE;
  let h = s.head;
  if (h && h.n > 0) {
    const last = h.t[h.n - 1] as number;
    if (t <= last) {
      const at = lowerBound(h.t, h.n, t);
      if (h.t[at] === t) {
        return h.w[LE ? 2 * at : 2 * at + 1] === lo && h.w[LE ? 2 * at + 1 : 2 * at] === hi ? 'dup' : DUPLICATE;
      }
      if (lim.outOfOrderWindowMs <= 0 || last - t > lim.outOfOrderWindowMs || t <= s.cutMaxT) return OUT_OF_ORDER;
      insertAt(h, at, t, lo, hi);
      s.minT = Number.isNaN(s.minT) ? t : Math.min(s.minT, t);
      return 'ok';
    }
    if (h.n >= lim.chunkMaxSamples || t - (h.t[0] as number) >= lim.chunkMaxSpanMs) {
      cutHead(s);
      h = undefined;
    }
  }
  if (t <= s.cutMaxT) return OUT_OF_ORDER;
  if (!h) {
    const hv = new Float64Array(Math.min(lim.chunkMaxSamples, 16));
    h = { t: [], v: hv, w: new Uint32Array(hv.buffer), n: 0, minLsn: lsn, createdAt: wallMs };
    s.head = h;
  }
  insertAt(h, h.n, t, lo, hi);
  if (t >= (Number.isNaN(s.lastT) ? -Infinity : s.lastT)) {
    s.lastT = t;
    s.lastLo = lo;
    s.lastHi = hi;
  }
  s.minT = Number.isNaN(s.minT) ? t : Math.min(s.minT, t);
  s.maxT = Number.isNaN(s.maxT) ? t : Math.max(s.maxT, t);
  return 'ok';
}

function lowerBound(t: number[], n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if ((t[m] as number) < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function insertAt(h: Head, at: number, t: number, lo: number, hi: number): void {
  if (h.n === h.v.length) {
    const nv = new Float64Array(h.v.length * 2);
    nv.set(h.v);
    h.v = nv;
    h.w = new Uint32Array(nv.buffer);
  }
  // copyWithin moves raw words: NaN payloads survive.
  if (at < h.n) h.w.copyWithin(2 * at + 2, 2 * at, 2 * h.n);
  h.w[LE ? 2 * at : 2 * at + 1] = lo;
  h.w[LE ? 2 * at + 1 : 2 * at] = hi;
  if (at === h.n) h.t.push(t);
  else h.t.splice(at, 0, t);
  h.n++;
}
