/**
 * Prometheus's on-disk size for a given set of samples: the samples are written as OpenMetrics
 * text and `promtool tsdb create-blocks-from openmetrics` turns them into TSDB blocks, the form
 * Prometheus keeps everything older than its head in. Used by the node bytes bench to price the
 * very samples Vigil stored in Prometheus's format.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels } from '../../src/core/labels.js';
import { dirBytes } from './prometheus-peer.js';

export interface OmSeries {
  labels: Labels;
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

/** Why promtool cannot run here, or undefined when it can. */
export function promtoolMissing(bin = 'promtool'): string | undefined {
  const r = spawnSync(bin, ['--version']);
  return r.error ? `${bin} is not installed (bash .ci/peers.sh installs prometheus, which ships it)` : undefined;
}

const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * An OpenMetrics timestamp (seconds) for integer ms `t` that parses back to exactly `t` whether
 * the reader truncates or rounds `seconds × 1000`: a quarter millisecond past it ("…123.25 ms").
 * Plain `t / 1000` can come back as t - 1 after truncation (0.123 × 1000 = 122.99999…).
 */
export function omTimestamp(t: number): string {
  const ms = ((t % 1000) + 1000) % 1000;
  const s = (t - ms) / 1000;
  return `${s}.${String(ms).padStart(3, '0')}25`;
}

/** A value as OpenMetrics text: shortest round-trip decimal, `NaN`, `+Inf`, `-Inf`. */
export function omValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * The series as OpenMetrics lines, grouped by metric name (a family must be contiguous), each
 * series' samples in time order, ending with `# EOF`. No TYPE lines: every family is `unknown`,
 * which keeps names like `*_total` and `*_bucket` valid as they are; types do not change how
 * Prometheus stores float samples.
 */
export function* openMetricsLines(series: readonly OmSeries[]): Generator<string> {
  const byName = new Map<string, OmSeries[]>();
  for (const s of series) {
    const name = s.labels.__name__ ?? '';
    const list = byName.get(name);
    if (list) list.push(s);
    else byName.set(name, [s]);
  }
  for (const [name, list] of byName) {
    if (!name) continue;
    for (const s of list) {
      const pairs = Object.keys(s.labels)
        .filter((k) => k !== '__name__')
        .sort()
        .map((k) => `${k}="${escapeLabel(s.labels[k] as string)}"`);
      const head = pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
      let chunk = '';
      for (let i = 0; i < s.t.length; i++) {
        chunk += `${head} ${omValue(s.v[i] as number)} ${omTimestamp(s.t[i] as number)}\n`;
        if (chunk.length > 65536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
  }
  yield '# EOF\n';
}

/** Writes openMetricsLines(series) to `path`; resolves once the file is closed. */
export async function writeOpenMetrics(path: string, series: readonly OmSeries[]): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((res, rej) => {
    out.once('error', rej);
    out.once('close', () => res());
  });
  for (const part of openMetricsLines(series)) {
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await done;
}

export interface BlockStats {
  blocks: number;
  /** Every file of every block (chunks, index, meta.json, tombstones). */
  bytes: number;
  chunks: number;
  index: number;
  /** From the blocks' meta.json. */
  numSamples: number;
  numSeries: number;
  numChunks: number;
}

/** Sizes and meta.json stats of every block directory under `dir` (a TSDB dir or a snapshot). */
export function blockStats(dir: string): BlockStats {
  const st: BlockStats = { blocks: 0, bytes: 0, chunks: 0, index: 0, numSamples: 0, numSeries: 0, numChunks: 0 };
  if (!existsSync(dir)) return st;
  for (const d of readdirSync(dir)) {
    const meta = join(dir, d, 'meta.json');
    if (!existsSync(meta)) continue;
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { stats?: { numSamples?: number; numSeries?: number; numChunks?: number } };
    st.blocks++;
    st.bytes += dirBytes(join(dir, d));
    st.chunks += dirBytes(join(dir, d, 'chunks'));
    st.index += fileSize(join(dir, d, 'index'));
    st.numSamples += m.stats?.numSamples ?? 0;
    st.numSeries += m.stats?.numSeries ?? 0;
    st.numChunks += m.stats?.numChunks ?? 0;
  }
  return st;
}

function fileSize(p: string): number {
  return existsSync(p) ? statSync(p).size : 0;
}

/**
 * Runs `promtool tsdb create-blocks-from openmetrics <file> <outDir>` and measures the blocks.
 * Throws with promtool's output when it fails.
 */
export function createBlocks(file: string, outDir: string, bin = 'promtool'): BlockStats {
  const r = spawnSync(bin, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, outDir], { encoding: 'utf8', maxBuffer: 64e6 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`promtool create-blocks-from openmetrics exited ${r.status}: ${`${r.stdout}${r.stderr}`.slice(-3000)}`);
  return blockStats(outDir);
}
