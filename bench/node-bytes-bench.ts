/**
 * Disk bytes per sample on real node_exporter metrics scraped over real time (issue 4: "<= 2
 * bytes per sample on scraped node metrics", against Prometheus's TSDB for the same data).
 *
 * The real `prometheus-node-exporter` runs on a loopback port; a compiled `vigil run` (host
 * metrics off, one `scrape_configs` job) and the real Prometheus both scrape it at the same
 * interval until Vigil holds `scrapes` scrapes. Then Prometheus writes a snapshot (its head as
 * blocks) and Vigil is stopped with SIGTERM, which flushes its heads into chunks. Reported:
 * - Vigil: its metrics directory after the clean stop (segment files + SQLite catalog + what is
 *   left of the WAL), over the samples it stored (decoded from its chunks, checksums verified);
 * - Prometheus, same samples: Vigil's stored samples exported to OpenMetrics and turned into
 *   blocks by `promtool tsdb create-blocks-from openmetrics` (index + chunks + meta);
 * - Prometheus, its own scrape: the snapshot's blocks over their sample count (meta.json), and
 *   the live TSDB (head chunks + WAL, not comparable to blocks) for reference;
 * - where Vigil's chunk bytes go (bench/metrics/bytes-profile.ts).
 *
 * Usage: node --import tsx bench/node-bytes-bench.ts [--scrapes 240] [--interval 1]
 *   [--bin bin/vigil.js] [--prometheus prometheus] [--promtool promtool] [--keep]
 * (--keep leaves the temp dir with both stores, the OpenMetrics files and the blocks, and prints it.)
 * Prints the markdown on stderr and the result as one JSON line on stdout (for bench/run.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dodHistogram, encodeAsVigil, profileBytes, type BytesProfile, type DodHistogram } from './metrics/bytes-profile.js';
import { blockStats, createBlocks, promtoolMissing, writeOpenMetrics, type BlockStats } from './metrics/openmetrics-blocks.js';
import { prometheusDisk, prometheusMissing, prometheusVersion, type PrometheusPeer } from './metrics/prometheus-peer.js';
import { ensureBuilt, load1, sleep, startVigil, stopChild, type StartedVigil } from './metrics/proc.js';
import { fetchRawSamples, NODE_EXPORTER_BIN, nodeExporterMissing, scrapeJobYaml, startNodeExporter, startScrapingPrometheus, type NodeExporter } from './metrics/scrape-peers.js';
import { readMetricsDir } from './metrics/vigil-metrics-dir.js';
import { renderNodeBytesBench } from './metrics/node-bytes-render.js';
import { isStaleNaN } from '../src/query/promql/storage.js';

const JOB = 'node';

export interface NodeBytesOptions {
  scrapes: number;
  intervalS?: number;
  vigilBin?: string;
  prometheusBin?: string;
  promtoolBin?: string;
  /** Keep the temp dir (Vigil's data, Prometheus's TSDB, the OpenMetrics files, the blocks) for inspection. */
  keep?: boolean;
}

export interface NodeBytesResult {
  bench: 'node-bytes';
  node_exporter_version: string;
  prometheus_version: string;
  interval_s: number;
  scrapes_wanted: number;
  /** Samples of `up` Vigil stored: the scrapes it made. */
  scrapes: number;
  series: number;
  samples: number;
  stale_markers: number;
  /** Samples of series outside the scrape job (0 with host metrics off); counted in bytes_per_sample. */
  other_samples: number;
  seconds: number;
  vigil: {
    bytes: number;
    segments: number;
    catalog: number;
    wal: number;
    other: number;
    bytes_per_sample: number;
    chunk_bytes_per_sample: number;
    catalog_bytes_per_sample: number;
    chunks: number;
    segment_files: number;
    bad_chunks: number;
    /** Catalog bytes by table/index (SQLite dbstat), e.g. chunks, series, label_index. */
    catalog_by_object: Record<string, number>;
    /** Record bytes by the same names (dbstat payload: what the rows hold, without page slack). */
    catalog_payload: Record<string, number>;
  };
  /** Vigil's stored samples as Prometheus blocks (promtool). */
  prometheus_same_samples: { bytes: number; chunks: number; index: number; samples: number; num_chunks: number; bytes_per_sample: number; chunk_bytes_per_sample: number };
  /** Prometheus's own scrape of the same exporter, as blocks (snapshot) and as its live TSDB. */
  prometheus_own_scrape: { samples: number; series: number; snapshot_bytes: number; snapshot_chunk_bytes: number; snapshot_bytes_per_sample: number; snapshot_chunk_bytes_per_sample: number; live_bytes: number; live_wal: number; live_chunks_head: number };
  /**
   * Prometheus's own scraped samples (read back through its API: staleness markers excluded) in
   * both formats: Prometheus blocks (promtool) and Vigil chunks of 120 samples (encodeChunk).
   */
  prometheus_samples: { samples: number; series: number; dod: DodHistogram; blocks_bytes: number; blocks_chunk_bytes: number; blocks_num_chunks: number; vigil_chunk_bytes: number; vigil_chunks: number };
  /** Timestamp delta-of-deltas of the samples Vigil stored (whole series). */
  vigil_dod: DodHistogram;
  profile: BytesProfile;
  load_before: number;
}

function vigilConfig(dir: string, target: string, intervalS: number): string {
  return [
    'server:',
    '  listen: 127.0.0.1:0',
    'storage:',
    `  path: ${join(dir, 'data')}`,
    'logging:',
    '  format: json',
    '  file: false',
    'host_metrics:',
    '  enabled: false',
    'sources: {}',
    'sinks: {}',
    'scrape_configs:',
    scrapeJobYaml(JOB, target, intervalS, '  '),
    '',
  ].join('\n');
}

/** Scrapes Vigil has stored so far (samples of `up` for the job), 0 before the first. */
async function vigilScrapes(url: string): Promise<number> {
  const q = new URLSearchParams({ query: `count_over_time(up{job="${JOB}"}[1d])`, time: String(Date.now() / 1000) });
  const r = await fetch(`${url}/api/v1/query?${q}`);
  const body = (await r.json()) as { status?: string; data?: { result?: Array<{ value?: [number, string] }> } };
  if (!r.ok || body.status !== 'success') throw new Error(`vigil /api/v1/query answered ${r.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return Number(body.data?.result?.[0]?.value?.[1] ?? 0);
}

function exporterVersion(): string {
  const r = spawnSync(NODE_EXPORTER_BIN, ['--version'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? 'unknown';
}

const per = (bytes: number, samples: number) => +(bytes / Math.max(1, samples)).toFixed(3);

/** Runs the whole measurement; throws when a peer is missing or a process fails. */
export async function runNodeBytesBench(opts: NodeBytesOptions): Promise<NodeBytesResult> {
  const missing = nodeExporterMissing() ?? prometheusMissing(opts.prometheusBin) ?? promtoolMissing(opts.promtoolBin);
  if (missing) throw new Error(missing);
  const intervalS = opts.intervalS ?? 1;
  const bin = opts.vigilBin ?? ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-node-bytes-'));
  let exporter: NodeExporter | undefined;
  let vigil: StartedVigil | undefined;
  let prom: PrometheusPeer | undefined;
  try {
    const load = load1();
    exporter = await startNodeExporter();
    vigil = await startVigil(bin, dir, vigilConfig(dir, exporter.address, intervalS));
    prom = await startScrapingPrometheus(dir, JOB, exporter.address, intervalS, opts.prometheusBin);
    process.stderr.write(`scraping node_exporter at ${exporter.address} every ${intervalS} s until Vigil holds ${opts.scrapes} scrapes...\n`);
    const t0 = performance.now();
    const deadline = Date.now() + opts.scrapes * intervalS * 2000 + 120_000;
    await sleep(Math.max(0, (opts.scrapes - 3) * intervalS * 1000));
    let lastReport = Date.now();
    for (;;) {
      const n = await vigilScrapes(vigil.url);
      if (n >= opts.scrapes) break;
      if (Date.now() > deadline) throw new Error(`Vigil stored only ${n} of ${opts.scrapes} scrapes in time: ${vigil.output().slice(-2000)}`);
      if (Date.now() - lastReport > 30_000) {
        process.stderr.write(`  ${n} scrapes\n`);
        lastReport = Date.now();
      }
      await sleep(Math.min(1000, (intervalS * 1000) / 4));
    }
    const seconds = (performance.now() - t0) / 1000;
    // Stop both at once: Prometheus's snapshot and Vigil's final flush cover the same window.
    const vigilProc = vigil.proc;
    const peer = prom;
    const [[promRaw, promDisk]] = await Promise.all([
      (async () => [await fetchRawSamples(peer.url, `{job="${JOB}"}`, seconds + 120), await prometheusDisk(peer)] as const)(),
      stopChild(vigilProc, 60_000),
    ]);
    vigil = undefined;
    if (vigilProc.signalCode === 'SIGKILL' || vigilProc.exitCode !== 0) throw new Error(`vigil did not stop cleanly (exit ${vigilProc.exitCode}, signal ${vigilProc.signalCode}): its heads may not be flushed`);
    await stopChild(prom.proc);
    const snapRoot = join(prom.dataDir, 'snapshots');
    const snapName = readdirSync(snapRoot)[0];
    const snap: BlockStats = snapName ? blockStats(join(snapRoot, snapName)) : blockStats(join(snapRoot, 'missing'));
    prom = undefined;

    const contents = readMetricsDir(join(dir, 'data', 'store', 'metrics'));
    // The chunks are decoded with src/'s codec while Vigil ran from dist/: a stale build shows here.
    if (contents.badChunks > 0) throw new Error(`${contents.badChunks} of Vigil's chunks failed their checksum or did not decode with src/store/metrics/gorilla.ts (is dist/ older than src/? npm run build)`);
    const nodeSeries = contents.series.filter((s) => s.labels.job === JOB && s.t.length > 0);
    const samples = nodeSeries.reduce((a, s) => a + s.t.length, 0);
    const allSamples = contents.series.reduce((a, s) => a + s.t.length, 0);
    const up = nodeSeries.find((s) => s.labels.__name__ === 'up');
    let stale = 0;
    for (const s of nodeSeries) for (const x of s.v) if (isStaleNaN(x)) stale++;
    process.stderr.write(`Vigil stored ${samples.toLocaleString('en')} samples of ${nodeSeries.length} series; converting them to Prometheus blocks with promtool...\n`);

    const omFile = join(dir, 'vigil-samples.om');
    await writeOpenMetrics(omFile, nodeSeries);
    const blocks = createBlocks(omFile, join(dir, 'promtool-blocks'), opts.promtoolBin);
    if (blocks.numSamples !== samples) throw new Error(`promtool blocks hold ${blocks.numSamples} samples, Vigil stored ${samples}`);
    const profile = profileBytes(nodeSeries, intervalS * 1000, Math.max(1, Math.round(15 / intervalS)));

    // Prometheus's own samples in both formats: its scraper's timestamps jitter less (it moves a
    // timestamp within 2 ms of the schedule onto it), so this row prices the codecs without Vigil's jitter.
    const promOm = join(dir, 'prometheus-samples.om');
    await writeOpenMetrics(promOm, promRaw);
    const promSamples = promRaw.reduce((a, x) => a + x.t.length, 0);
    const promBlocks = createBlocks(promOm, join(dir, 'promtool-blocks-prom'), opts.promtoolBin);
    if (promBlocks.numSamples !== promSamples) throw new Error(`promtool blocks hold ${promBlocks.numSamples} samples, Prometheus answered ${promSamples}`);
    const promInVigil = encodeAsVigil(promRaw, 120);
    const b = contents.bytes;
    return {
      bench: 'node-bytes',
      node_exporter_version: exporterVersion(),
      prometheus_version: prometheusVersion(opts.prometheusBin),
      interval_s: intervalS,
      scrapes_wanted: opts.scrapes,
      scrapes: up?.t.length ?? 0,
      series: nodeSeries.length,
      samples,
      stale_markers: stale,
      other_samples: allSamples - samples,
      seconds: +seconds.toFixed(1),
      vigil: {
        bytes: b.total,
        segments: b.segments,
        catalog: b.catalog,
        wal: b.wal,
        other: b.other,
        bytes_per_sample: per(b.total, allSamples),
        chunk_bytes_per_sample: per(b.segments, allSamples),
        catalog_bytes_per_sample: per(b.catalog, allSamples),
        chunks: profile.chunks,
        segment_files: contents.segmentFiles,
        bad_chunks: contents.badChunks,
        catalog_by_object: contents.catalogByObject,
        catalog_payload: contents.catalogPayload,
      },
      prometheus_same_samples: {
        bytes: blocks.bytes,
        chunks: blocks.chunks,
        index: blocks.index,
        samples: blocks.numSamples,
        num_chunks: blocks.numChunks,
        bytes_per_sample: per(blocks.bytes, blocks.numSamples),
        chunk_bytes_per_sample: per(blocks.chunks, blocks.numSamples),
      },
      prometheus_own_scrape: {
        samples: snap.numSamples,
        series: snap.numSeries,
        snapshot_bytes: snap.bytes,
        snapshot_chunk_bytes: snap.chunks,
        snapshot_bytes_per_sample: per(snap.bytes, snap.numSamples),
        snapshot_chunk_bytes_per_sample: per(snap.chunks, snap.numSamples),
        live_bytes: promDisk.total,
        live_wal: promDisk.wal,
        live_chunks_head: promDisk.chunksHead,
      },
      prometheus_samples: {
        samples: promSamples,
        series: promRaw.length,
        dod: dodHistogram(promRaw),
        blocks_bytes: promBlocks.bytes,
        blocks_chunk_bytes: promBlocks.chunks,
        blocks_num_chunks: promBlocks.numChunks,
        vigil_chunk_bytes: promInVigil.bytes,
        vigil_chunks: promInVigil.chunks,
      },
      vigil_dod: dodHistogram(nodeSeries),
      profile,
      load_before: load,
    };
  } finally {
    if (vigil) await stopChild(vigil.proc);
    if (prom) await stopChild(prom.proc);
    if (exporter) await stopChild(exporter.proc);
    if (opts.keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

export { renderNodeBytesBench };

async function main(): Promise<void> {
  const val = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const bin = val('bin');
  const promBin = val('prometheus');
  const promtool = val('promtool');
  const result = await runNodeBytesBench({
    scrapes: Number(val('scrapes') ?? 240),
    intervalS: Number(val('interval') ?? 1),
    ...(bin ? { vigilBin: resolve(bin) } : {}),
    ...(promBin ? { prometheusBin: promBin } : {}),
    ...(promtool ? { promtoolBin: promtool } : {}),
    keep: process.argv.includes('--keep'),
  });
  process.stderr.write(`\n${renderNodeBytesBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
