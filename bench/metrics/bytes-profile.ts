/**
 * Where the bytes of Vigil's stored metric chunks go, measured by re-encoding the stored samples
 * with the store's own codec (encodeChunk) under what-ifs: timestamps exactly on the interval
 * (what scrape jitter costs), constant values (what values cost), longer chunks (what the
 * per-chunk header and first sample cost), and every k-th sample (an estimate of a longer scrape
 * interval). Pure functions over readMetricsDir()'s series; the node bytes bench prints them.
 */
import { encodeChunk } from '../../src/store/metrics/gorilla.js';
import type { StoredSeries } from './vigil-metrics-dir.js';

export interface EncodingRow {
  /** `xor` or `decimal(e)`. */
  encoding: string;
  chunks: number;
  samples: number;
  bytes: number;
}

export interface KindRow {
  /** constant: one value throughout; monotonic: never decreases (counters); varying: the rest. */
  kind: 'constant' | 'monotonic' | 'varying';
  series: number;
  samples: number;
  bytes: number;
}

export interface MetricRow {
  name: string;
  series: number;
  samples: number;
  bytes: number;
}

export interface BytesProfile {
  series: number;
  samples: number;
  chunks: number;
  chunkBytes: number;
  /** Timestamp delta-of-delta (ms) between consecutive samples of a chunk, by size. */
  dod: { zero: number; within8: number; within512: number; larger: number };
  /** Chunk bytes with every timestamp moved onto t0 + i × interval (same values, same chunks). */
  bytesRegularTimestamps: number;
  /** Chunk bytes with regular timestamps and every value equal to the chunk's first. */
  bytesRegularConstant: number;
  /** Chunk bytes of a chunk of one sample (header + first timestamp + first value), averaged. */
  oneSampleChunkBytes: number;
  byEncoding: EncodingRow[];
  byKind: KindRow[];
  /** Metric names by chunk bytes, largest first. */
  byMetric: MetricRow[];
  /** Every series re-cut into chunks of this many samples (0 = one chunk per series; JSON has no Infinity). */
  chunkSizeWhatIf: Array<{ samplesPerChunk: number; chunks: number; bytes: number }>;
  /** Every k-th sample only (k = decimate), one chunk per series: the per-sample cost beyond the first. */
  decimated?: {
    k: number;
    intervalMs: number;
    samples: number;
    bodyBytesPerSample: number;
    /** The same with the kept timestamps moved onto the k × interval grid (no jitter). */
    bodyBytesPerSampleRegular: number;
    fullBodyBytesPerSample: number;
  };
}

const encName = (e: number) => (e === 0 ? 'xor' : `decimal(${e - 1})`);

function kindOf(v: Float64Array): KindRow['kind'] {
  let constant = true;
  let monotonic = true;
  for (let i = 1; i < v.length; i++) {
    const a = v[i - 1] as number;
    const b = v[i] as number;
    if (!Object.is(a, b)) constant = false;
    if (b < a) monotonic = false;
  }
  return constant ? 'constant' : monotonic ? 'monotonic' : 'varying';
}

function encodedSize(t: ArrayLike<number>, v: Float64Array): number {
  return encodeChunk(t, v, t.length).length;
}

/** Samples of one series: integer ms timestamps ascending, values aligned. */
export interface SampleRun {
  t: ArrayLike<number>;
  v: Float64Array;
}

/**
 * What Vigil's codec makes of `series` cut into chunks of `per` samples (the store's
 * chunk_max_samples; 0 or Infinity: one chunk per series): total encodeChunk bytes and chunk
 * count. Prices samples Vigil did not store itself (Prometheus's own scrape) in Vigil's format.
 */
export function encodeAsVigil(series: readonly SampleRun[], per = 120): { chunks: number; bytes: number } {
  let chunks = 0;
  let bytes = 0;
  for (const s of series) {
    const step = per > 0 && Number.isFinite(per) ? per : Math.max(1, s.t.length);
    for (let i = 0; i < s.t.length; i += step) {
      const j = Math.min(s.t.length, i + step);
      bytes += encodedSize(Array.prototype.slice.call(s.t, i, j) as number[], s.v.slice(i, j));
      chunks++;
    }
  }
  return { chunks, bytes };
}

export type DodHistogram = BytesProfile['dod'];

/** Adds the timestamp delta-of-deltas of `t` (ms) into `h` by size. */
export function addDods(h: DodHistogram, t: ArrayLike<number>, from = 0, to = t.length): void {
  for (let i = from + 2; i < to; i++) {
    const dod = Math.abs((t[i] as number) - 2 * (t[i - 1] as number) + (t[i - 2] as number));
    if (dod === 0) h.zero++;
    else if (dod <= 8) h.within8++;
    else if (dod <= 512) h.within512++;
    else h.larger++;
  }
}

/** Delta-of-delta histogram of whole series (one run per series, chunk cuts ignored). */
export function dodHistogram(series: ReadonlyArray<{ t: ArrayLike<number> }>): DodHistogram {
  const h: DodHistogram = { zero: 0, within8: 0, within512: 0, larger: 0 };
  for (const s of series) addDods(h, s.t);
  return h;
}

/**
 * Profiles the stored series. `intervalMs` is the scrape interval (for the regular-timestamp
 * what-if); `decimate` > 1 adds the every-k-th-sample estimate (skipped when series would keep
 * fewer than 8 samples). Series without chunks are ignored.
 */
export function profileBytes(all: readonly StoredSeries[], intervalMs: number, decimate = 1): BytesProfile {
  const series = all.filter((s) => s.chunks.length > 0);
  const p: BytesProfile = {
    series: series.length,
    samples: 0,
    chunks: 0,
    chunkBytes: 0,
    dod: { zero: 0, within8: 0, within512: 0, larger: 0 },
    bytesRegularTimestamps: 0,
    bytesRegularConstant: 0,
    oneSampleChunkBytes: 0,
    byEncoding: [],
    byKind: [],
    byMetric: [],
    chunkSizeWhatIf: [],
  };
  const enc = new Map<number, EncodingRow>();
  const kinds = new Map<string, KindRow>();
  const metrics = new Map<string, MetricRow>();
  let oneSample = 0;
  for (const s of series) {
    let off = 0;
    let seriesBytes = 0;
    for (const c of s.chunks) {
      const t = s.t.slice(off, off + c.count);
      const v = s.v.slice(off, off + c.count);
      off += c.count;
      seriesBytes += c.bytes;
      const row = enc.get(c.encoding) ?? { encoding: encName(c.encoding), chunks: 0, samples: 0, bytes: 0 };
      row.chunks++;
      row.samples += c.count;
      row.bytes += c.bytes;
      enc.set(c.encoding, row);
      addDods(p.dod, t);
      const regular = Array.from(t, (_, i) => (t[0] as number) + i * intervalMs);
      p.bytesRegularTimestamps += encodedSize(regular, v);
      p.bytesRegularConstant += encodedSize(regular, new Float64Array(v.length).fill(v[0] as number));
      oneSample += encodedSize(t.slice(0, 1), v.slice(0, 1));
      p.chunks++;
    }
    p.samples += s.t.length;
    p.chunkBytes += seriesBytes;
    const k = kindOf(s.v);
    const kr = kinds.get(k) ?? { kind: k, series: 0, samples: 0, bytes: 0 };
    kr.series++;
    kr.samples += s.t.length;
    kr.bytes += seriesBytes;
    kinds.set(k, kr);
    const name = s.labels.__name__ ?? '';
    const mr = metrics.get(name) ?? { name, series: 0, samples: 0, bytes: 0 };
    mr.series++;
    mr.samples += s.t.length;
    mr.bytes += seriesBytes;
    metrics.set(name, mr);
  }
  p.oneSampleChunkBytes = p.chunks > 0 ? oneSample / p.chunks : 0;
  p.byEncoding = [...enc.values()].sort((a, b) => b.bytes - a.bytes);
  p.byKind = [...kinds.values()].sort((a, b) => b.bytes - a.bytes);
  p.byMetric = [...metrics.values()].sort((a, b) => b.bytes - a.bytes);
  for (const per of [120, 240, 0]) p.chunkSizeWhatIf.push({ samplesPerChunk: per, ...encodeAsVigil(series, per) });
  if (decimate > 1) {
    const body = (k: number, regularTs = false) => {
      let bytes = 0;
      let n = 0;
      for (const s of series) {
        const idx = Array.from({ length: Math.ceil(s.t.length / k) }, (_, i) => i * k);
        if (Math.ceil(s.t.length / decimate) < 8) continue; // the same series at both resolutions
        const t = idx.map((i, j) => (regularTs ? (s.t[0] as number) + j * k * intervalMs : (s.t[i] as number)));
        const v = Float64Array.from(idx, (i) => s.v[i] as number);
        bytes += encodedSize(t, v) - encodedSize(t.slice(0, 1), v.slice(0, 1));
        n += t.length - 1;
      }
      return { n, perSample: n > 0 ? bytes / n : 0 };
    };
    const d = body(decimate);
    if (d.n > 0) {
      p.decimated = {
        k: decimate,
        intervalMs: intervalMs * decimate,
        samples: d.n,
        bodyBytesPerSample: d.perSample,
        bodyBytesPerSampleRegular: body(decimate, true).perSample,
        fullBodyBytesPerSample: body(1).perSample,
      };
    }
  }
  return p;
}
