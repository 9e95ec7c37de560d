/**
 * The node bytes bench's result as markdown: the bytes-per-sample table (Vigil, Prometheus blocks
 * of the same samples, Prometheus's own scrape), then where Vigil's chunk bytes go.
 */
import type { NodeBytesResult } from '../node-bytes-bench.js';
import type { DodHistogram } from './bytes-profile.js';

const fmt = (n: number) => n.toLocaleString('en');
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const r3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '-');
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;

function dodText(h: DodHistogram): string {
  const n = h.zero + h.within8 + h.within512 + h.larger;
  return `${pct(h.zero, n)} zero, ${pct(h.within8, n)} within ±8 ms, ${pct(h.within512, n)} within ±512 ms, ${fmt(h.larger)} larger`;
}

export function renderNodeBytesBench(r: NodeBytesResult): string {
  const v = r.vigil;
  const ps = r.prometheus_same_samples;
  const po = r.prometheus_own_scrape;
  const p = r.profile;
  const spc = p.chunks > 0 ? p.samples / p.chunks : 0;
  const cat = v.catalog_by_object;
  const chunkRows = (cat.chunks ?? 0) + (cat.chunks_by_segment ?? 0);
  const seriesRows = (cat.series ?? 0) + (cat.sqlite_autoindex_series_1 ?? 0) + (cat.label_index ?? 0);
  const pay = v.catalog_payload;
  const chunkPayload = (pay.chunks ?? 0) + (pay.chunks_by_segment ?? 0);
  const seriesPayload = (pay.series ?? 0) + (pay.sqlite_autoindex_series_1 ?? 0) + (pay.label_index ?? 0);
  const jitter = p.chunkBytes - p.bytesRegularTimestamps;
  const values = p.bytesRegularTimestamps - p.bytesRegularConstant;
  const lines = [
    `### Disk bytes per sample: real node_exporter scraped every ${r.interval_s} s (${r.node_exporter_version.replace(/^node_exporter, version /, 'node_exporter ')}, ${r.prometheus_version.replace(/^prometheus, version /, 'Prometheus ')})`,
    '',
    `${fmt(r.scrapes)} scrapes (${r.seconds} s of real time) of ${fmt(r.series)} series = ${fmt(r.samples)} samples stored by Vigil${r.stale_markers ? ` (${r.stale_markers} staleness markers)` : ''}${r.other_samples ? `; ${fmt(r.other_samples)} samples of other series also counted` : ''}. ` +
      `${r.interval_s < 15 ? `The interval is shorter than production's 15 s to collect ${fmt(r.scrapes)} scrapes in minutes: t` : 'T'}imestamps are delta-of-delta encoded, so a constant interval costs the same at any size; what costs is scrape jitter (a few ms, more on a loaded machine; see the delta-of-delta column below); ` +
      `${r.interval_s < 15 ? `counters move less per ${r.interval_s} s than per 15 s, so value bits are somewhat lower than at 15 s${p.decimated ? ` (see the every-${p.decimated.k}th-sample estimate below)` : ''}.` : ''}`,
    '',
    '| store | bytes/sample, all files | chunk (sample data) bytes/sample | index / catalog bytes/sample | files |',
    '|---|---|---|---|---|',
    `| Vigil (metrics dir after SIGTERM) | **${r3(v.bytes_per_sample)}** | ${r3(v.chunk_bytes_per_sample)} | ${r3(v.catalog_bytes_per_sample)} | ${kb(v.bytes)}: ${v.segment_files} segment file(s) ${kb(v.segments)} (${fmt(v.chunks)} chunks, ${spc.toFixed(0)} samples/chunk), catalog.sqlite ${kb(v.catalog)}, WAL ${kb(v.wal)}${v.other ? `, other ${kb(v.other)}` : ''} |`,
    `| Prometheus blocks of the same samples (promtool create-blocks-from openmetrics) | ${r3(ps.bytes_per_sample)} | ${r3(ps.chunk_bytes_per_sample)} | ${r3(ps.index / Math.max(1, ps.samples))} | ${kb(ps.bytes)}: chunks ${kb(ps.chunks)} (${fmt(ps.num_chunks)} chunks), index ${kb(ps.index)} |`,
    `| Prometheus's own scrape, as blocks (snapshot) | ${r3(po.snapshot_bytes_per_sample)} | ${r3(po.snapshot_chunk_bytes_per_sample)} | ${r3((po.snapshot_bytes - po.snapshot_chunk_bytes) / Math.max(1, po.samples))} | ${kb(po.snapshot_bytes)} for ${fmt(po.samples)} samples of ${fmt(po.series)} series |`,
    `| Prometheus's own scrape, live TSDB (head chunks + WAL; not comparable) | ${r3(po.live_bytes / Math.max(1, po.samples))} | | | ${kb(po.live_bytes)}: WAL ${kb(po.live_wal)}, chunks_head ${kb(po.live_chunks_head)} |`,
    '',
    `Vigil vs Prometheus blocks of the same samples: ${(ps.bytes_per_sample / Math.max(1e-9, v.bytes_per_sample)).toFixed(2)}× (all files), ${(ps.chunk_bytes_per_sample / Math.max(1e-9, v.chunk_bytes_per_sample)).toFixed(2)}× (sample data only); target <= 2 bytes/sample: ${v.bytes_per_sample <= 2 ? 'met' : 'missed'}. ` +
      `Per-series costs (labels in the catalog, the block index) weigh much more in a short run than over a series' life; the per-sample figure that stays is chunk bytes plus the catalog's chunk rows: ${r3((p.chunkBytes + chunkRows) / Math.max(1, p.samples))}.`,
    '',
    'Sample data alone, each scraper\'s samples in both formats (chunk bytes only: Vigil\'s segment bytes, Prometheus\'s block `chunks/`):',
    '',
    '| samples | Vigil chunks (as stored; Prometheus\'s samples cut at 120) | Prometheus block chunks | Prometheus / Vigil | timestamp delta-of-delta |',
    '|---|---|---|---|---|',
    `| Vigil's scrape, as stored (${fmt(r.samples)}) | ${r3(p.chunkBytes / Math.max(1, p.samples))} | ${r3(ps.chunk_bytes_per_sample)} | ${(ps.chunk_bytes_per_sample / Math.max(1e-9, p.chunkBytes / Math.max(1, p.samples))).toFixed(2)}× | ${dodText(r.vigil_dod)} |`,
    `| Prometheus's scrape, read back by its API (${fmt(r.prometheus_samples.samples)}) | ${r3(r.prometheus_samples.vigil_chunk_bytes / Math.max(1, r.prometheus_samples.samples))} | ${r3(r.prometheus_samples.blocks_chunk_bytes / Math.max(1, r.prometheus_samples.samples))} | ${(r.prometheus_samples.blocks_chunk_bytes / Math.max(1, r.prometheus_samples.vigil_chunk_bytes)).toFixed(2)}× | ${dodText(r.prometheus_samples.dod)} |`,
    '',
    '#### Where Vigil\'s bytes go',
    '',
    '| part | bytes | per sample | note |',
    '|---|---|---|---|',
    `| chunk bytes | ${fmt(p.chunkBytes)} | ${r3(p.chunkBytes / p.samples)} | ${fmt(p.chunks)} chunks of ${spc.toFixed(1)} samples on average |`,
    `| of which chunk header + first timestamp + first value | ${fmt(Math.round(p.oneSampleChunkBytes * p.chunks))} | ${r3((p.oneSampleChunkBytes * p.chunks) / p.samples)} | ${p.oneSampleChunkBytes.toFixed(1)} B per chunk |`,
    `| of which timestamp jitter | ${fmt(jitter)} | ${r3(jitter / p.samples)} | bytes saved if every timestamp were exactly on the ${r.interval_s} s grid (delta-of-delta within chunks: ${dodText(p.dod)}) |`,
    `| of which values | ${fmt(values)} | ${r3(values / p.samples)} | bytes beyond constant values (regular timestamps) |`,
    `| catalog: chunk rows (chunks + chunks_by_segment) | ${fmt(chunkRows)} | ${r3(chunkRows / p.samples)} | ${(chunkRows / Math.max(1, p.chunks)).toFixed(1)} B per chunk in pages (${((cat.chunks ?? 0) / Math.max(1, p.chunks)).toFixed(1)} table + ${((cat.chunks_by_segment ?? 0) / Math.max(1, p.chunks)).toFixed(1)} index), of which ${(chunkPayload / Math.max(1, p.chunks)).toFixed(1)} B record payload |`,
    `| catalog: series rows (series + unique index + label_index) | ${fmt(seriesRows)} | ${r3(seriesRows / p.samples)} | ${(seriesRows / Math.max(1, r.series)).toFixed(0)} B per series in pages (series ${((cat.series ?? 0) / Math.max(1, r.series)).toFixed(0)}, unique (tenant, labels) index ${((cat.sqlite_autoindex_series_1 ?? 0) / Math.max(1, r.series)).toFixed(0)}, label_index ${((cat.label_index ?? 0) / Math.max(1, r.series)).toFixed(0)}), of which ${(seriesPayload / Math.max(1, r.series)).toFixed(0)} B record payload |`,
    `| catalog: other pages | ${fmt(v.catalog - chunkRows - seriesRows)} | ${r3((v.catalog - chunkRows - seriesRows) / p.samples)} | schema, segments table, free pages |`,
    '',
    '| chunk encoding | chunks | samples | bytes | bytes/sample |',
    '|---|---|---|---|---|',
    ...p.byEncoding.map((e) => `| ${e.encoding} | ${fmt(e.chunks)} | ${fmt(e.samples)} | ${fmt(e.bytes)} | ${r3(e.bytes / e.samples)} |`),
    '',
    '| series kind | series | samples | chunk bytes | bytes/sample |',
    '|---|---|---|---|---|',
    ...p.byKind.map((k) => `| ${k.kind} | ${fmt(k.series)} | ${fmt(k.samples)} | ${fmt(k.bytes)} (${pct(k.bytes, p.chunkBytes)}) | ${r3(k.bytes / k.samples)} |`),
    '',
    '| metric (largest chunk bytes) | series | bytes | bytes/sample |',
    '|---|---|---|---|',
    ...p.byMetric.slice(0, 8).map((m) => `| ${m.name} | ${m.series} | ${fmt(m.bytes)} (${pct(m.bytes, p.chunkBytes)}) | ${r3(m.bytes / m.samples)} |`),
    '',
    `Chunk length what-if (same samples re-encoded): ${p.chunkSizeWhatIf.map((w) => `${w.samplesPerChunk === 0 ? 'one chunk per series' : `${w.samplesPerChunk} samples`}: ${r3(w.bytes / p.samples)} B/sample`).join('; ')}.`,
  ];
  if (p.decimated) {
    const d = p.decimated;
    // Samples per stored chunk (240 by default, 120 before); at 15 s a 1 h head age cap also cuts at 240.
    const per = Math.max(1, Math.round(p.samples / Math.max(1, p.chunks)));
    lines.push(
      '',
      `Longer interval estimate: every ${d.k}th sample (${d.intervalMs / 1000} s apart, ${fmt(d.samples)} samples after each series' first) costs ${r3(d.bodyBytesPerSample)} B/sample beyond the first (${r3(d.bodyBytesPerSampleRegular)} with timestamps on the grid), against ${r3(d.fullBodyBytesPerSample)} at ${r.interval_s} s; with the per-chunk cost spread over ${per} samples (the store's chunk length in this run) that is about ${r3(d.bodyBytesPerSample + p.oneSampleChunkBytes / per + chunkRows / Math.max(1, p.chunks) / per)} B/sample of chunks and chunk rows at ${d.intervalMs / 1000} s.`,
    );
  }
  lines.push('', `Load average before the run: ${r.load_before}.`, '');
  return lines.join('\n');
}
