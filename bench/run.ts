/**
 * `npm run bench`: runs every bench in its own process, prints each figure beside its same-run
 * baseline as a ratio, and rewrites the results section of BENCHMARKS.md (machine + date).
 * `npm run bench -- --quick` runs smaller inputs (for a smoke check; not for BENCHMARKS.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { renderHttpPipelineBench, type HttpPipelineResult } from './http-pipeline-bench.js';
import { renderMonitorsBench, type MonitorsBenchResult } from './monitors-bench.js';
import { prometheusMissing } from './metrics/prometheus-peer.js';
import { renderPromqlBench, type PromqlBenchResult } from './promql-bench.js';
import { renderNodeBytesBench, type NodeBytesResult } from './node-bytes-bench.js';
import { nodeExporterMissing } from './metrics/scrape-peers.js';
import { promtoolMissing } from './metrics/openmetrics-blocks.js';
import { renderSyslogBench, type SyslogBenchResult } from './syslog-bench.js';

const ROOT = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');

function run(script: string, args: string[]): Record<string, unknown> {
  process.stderr.write(`\n== ${script} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64e6 });
  const out = r.stdout.toString();
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`${script} failed (exit ${r.status}):\n${out}`);
  return JSON.parse(line) as Record<string, unknown>;
}

execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
const query = run('query-bench.ts', ['--lines', quick ? '300000' : '3200000']) as {
  lines: number; raw_mb: number;
  ingest: { vigil_lines_per_s: number; sqlite_rows_lines_per_s: number; ratio: number };
  disk_per_raw: { vigil: number; sqlite_rows: number };
  newest_100_1h_ms: { vigil: number; sqlite_rows: number };
  needle_24h_ms: { vigil: number; grep: number; sqlite_rows: number };
  level_histogram_6h_ms: { vigil: number; sqlite_rows: number };
};
const file = run('file-ingest.ts', ['--mb', quick ? '100' : '1024']) as {
  file_mb: number; file_lines: number; seconds: number; lines_per_s: number; mb_per_s: number; lines_per_cpu_s: number; peak_rss_mb: number; baseline_wc_l_s: number;
};
const monitors = run('monitors-bench.ts', quick ? ['--monitors', '1000', '--measure', '60'] : ['--monitors', '5000', '--measure', '90']) as unknown as MonitorsBenchResult;
const promMissing = prometheusMissing();
if (promMissing) process.stderr.write(`promql-bench skipped: ${promMissing}\n`);
const promql = promMissing ? undefined : run('promql-bench.ts', quick ? ['--hosts', '20', '--hours', '3', '--ranges', '1', '--runs', '3'] : ['--hosts', '200', '--hours', '7', '--ranges', '1,6', '--runs', '5']) as unknown as PromqlBenchResult;
const nodeMissing = promMissing ?? nodeExporterMissing() ?? promtoolMissing();
if (nodeMissing) process.stderr.write(`node-bytes-bench skipped: ${nodeMissing}\n`);
const nodeBytes = nodeMissing ? undefined : run('node-bytes-bench.ts', ['--scrapes', quick ? '60' : '240']) as unknown as NodeBytesResult;
const syslog = run('syslog-bench.ts', ['--lines', quick ? '200000' : '2000000']) as unknown as SyslogBenchResult;
const pipeline = run('http-pipeline-bench.ts', ['--lines', quick ? '150000' : '1500000']) as unknown as HttpPipelineResult;

const fmt = (n: number) => n.toLocaleString('en');
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const rows: Array<[string, string, string, string, string]> = [
  ['store ingest, lines/s (4 concurrent appenders, fsync per append)', fmt(query.ingest.vigil_lines_per_s), `SQLite rows ${fmt(query.ingest.sqlite_rows_lines_per_s)}`, x(query.ingest.vigil_lines_per_s, query.ingest.sqlite_rows_lines_per_s), '>= 300k'],
  ['disk bytes per raw byte', String(query.disk_per_raw.vigil), `SQLite rows ${query.disk_per_raw.sqlite_rows}`, x(query.disk_per_raw.sqlite_rows, query.disk_per_raw.vigil), '<= 0.3'],
  ['newest 100 lines of one stream, last 1 h (LogQL)', `${query.newest_100_1h_ms.vigil} ms`, `SQLite rows ${query.newest_100_1h_ms.sqlite_rows} ms`, x(query.newest_100_1h_ms.sqlite_rows, query.newest_100_1h_ms.vigil), '<= 10 ms'],
  [`rare needle over 24 h / ${query.raw_mb} MB (LogQL)`, `${query.needle_24h_ms.vigil} ms`, `grep -F ${query.needle_24h_ms.grep} ms; SQLite ${query.needle_24h_ms.sqlite_rows} ms`, x(query.needle_24h_ms.grep, query.needle_24h_ms.vigil), '<= 300 ms'],
  ['sum by (level) (count_over_time({service="api"}[1m])) over 6 h', `${query.level_histogram_6h_ms.vigil} ms`, `SQLite GROUP BY ${query.level_histogram_6h_ms.sqlite_rows} ms`, x(query.level_histogram_6h_ms.sqlite_rows, query.level_histogram_6h_ms.vigil), '<= 50 ms'],
  [`file tail → store, ${file.file_mb} MB file, compiled vigil run`, `${fmt(file.lines_per_s)} lines/s (${file.mb_per_s} MB/s), ${fmt(file.lines_per_cpu_s)} lines/CPU-s`, `wc -l reads it in ${file.baseline_wc_l_s} s`, x(file.baseline_wc_l_s, file.seconds), 'report'],
  ['file tail → store, peak RSS of the vigil process', `${file.peak_rss_mb} MB`, '', '', 'report'],
  [`${fmt(monitors.monitors)} HTTP monitors at ${monitors.interval_s} s: CPU of the vigil process (% of one core)`, `${monitors.cpu_pct_one_core}%, ${fmt(monitors.runs_completed)}/${fmt(monitors.runs_due)} runs, steady RSS ${monitors.steady_rss_mb} MB`, '', '', '< 50%'],
];
if (promql) {
  const common = promql.queries.filter((q) => q.common);
  const geo = Math.exp(common.reduce((a, q) => a + Math.log(q.ratio), 0) / Math.max(1, common.length));
  const wrong = promql.queries.filter((q) => !q.equal).length;
  rows.push(
    ['PromQL common dashboard range queries, geometric mean latency (answers equal)', `${wrong === 0 ? 'all equal' : `${wrong} DIFFERENT`}`, `Prometheus ${promql.prometheus_version.split(' ')[2] ?? ''}`, x(1, geo), '>= 1 (Vigil/Prometheus <= 1.0)'],
    ['metrics remote write ingest, samples/s', fmt(promql.ingest.vigil_samples_per_s), `Prometheus ${fmt(promql.ingest.prometheus_samples_per_s)}`, x(promql.ingest.vigil_samples_per_s, promql.ingest.prometheus_samples_per_s), 'report'],
    ['metrics disk bytes per sample (node-like series)', String(promql.disk.vigil_bytes_per_sample), `Prometheus blocks ${promql.disk.prometheus_snapshot_bytes_per_sample}, live TSDB ${promql.disk.prometheus_bytes_per_sample}`, x(promql.disk.prometheus_snapshot_bytes_per_sample, promql.disk.vigil_bytes_per_sample), '<= 2'],
  );
}
if (nodeBytes) {
  rows.push([
    `metrics disk bytes per sample, real node_exporter (${fmt(nodeBytes.series)} series) scraped ${fmt(nodeBytes.scrapes)} times at ${nodeBytes.interval_s} s`,
    `${nodeBytes.vigil.bytes_per_sample} (sample data ${nodeBytes.vigil.chunk_bytes_per_sample})`,
    `Prometheus blocks of the same samples ${nodeBytes.prometheus_same_samples.bytes_per_sample} (sample data ${nodeBytes.prometheus_same_samples.chunk_bytes_per_sample}); its own scrape as blocks ${nodeBytes.prometheus_own_scrape.snapshot_bytes_per_sample}`,
    x(nodeBytes.prometheus_same_samples.bytes_per_sample, nodeBytes.vigil.bytes_per_sample),
    '<= 2',
  ]);
}

const rx = (id: string) => syslog.receivers.find((r) => r.id === id && !r.skipped);
const rs = rx('rsyslog');
const sng = rx('syslog-ng');
for (const [id, what] of [['vigil-text', 'message text'], ['vigil-ndjson', 'NDJSON']] as const) {
  const v = rx(id);
  if (!v) continue;
  rows.push([
    `syslog, 1 TCP connection → file (${what}), ${fmt(syslog.lines)} RFC ${syslog.format} lines: lines per CPU-s (lines/s)`,
    `${fmt(v.lines_per_cpu_s)} (${fmt(v.lines_per_s)})`,
    `rsyslog ${rs ? `${fmt(rs.lines_per_cpu_s)} (${fmt(rs.lines_per_s)})` : 'skipped'}; syslog-ng ${sng ? `${fmt(sng.lines_per_cpu_s)} (${fmt(sng.lines_per_s)})` : 'skipped'}`,
    `${rs ? `${x(v.lines_per_cpu_s, rs.lines_per_cpu_s)} vs rsyslog` : ''}${sng ? `, ${x(v.lines_per_cpu_s, sng.lines_per_cpu_s)} vs syslog-ng` : ''}`,
    '>= rsyslog per CPU-s',
  ]);
}
const vt = rx('vigil-text');
if (vt) rows.push(['syslog → file, peak RSS of the receiver', `${vt.peak_rss_mb} MB`, `rsyslog ${rs?.peak_rss_mb ?? '-'} MB; syslog-ng ${sng?.peak_rss_mb ?? '-'} MB`, '', 'report']);
for (const p of pipeline.runs) {
  rows.push([
    `file tail → json → http sink (NDJSON), ${fmt(pipeline.lines)} lines, ${p.buffer} buffer${p.default_buffer ? ' (default)' : ''}`,
    `${fmt(p.lines_per_s)} lines/s, peak RSS ${p.peak_rss_mb} MB`,
    '',
    '',
    '>= 300k lines/s, <= 150 MB',
  ]);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const table = [
  '| measure | Vigil | same-run baseline | Vigil vs baseline (>1 = Vigil better) | target |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const section = `## Results (${date}, ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version})\n\nCorpus: ${fmt(query.lines)} seeded synthetic lines (nginx access, JSON app logs, multi-line stack traces; 20 streams over 24 h), ${query.raw_mb} MB raw. File bench: ${fmt(file.file_lines)} lines.\n\n${table}\n\n${renderMonitorsBench(monitors)}\n${promql ? renderPromqlBench(promql) : ''}\n${nodeBytes ? renderNodeBytesBench(nodeBytes) : ''}\n${renderSyslogBench(syslog)}\n${renderHttpPipelineBench(pipeline)}`;
process.stdout.write(`\n${section}\n`);
if (!quick) {
  const path = resolve(ROOT, 'BENCHMARKS.md');
  let doc = '';
  try {
    doc = readFileSync(path, 'utf8');
  } catch {
    doc = '# Benchmarks\n\n`npm run bench` measures these on the machine it runs on; every figure is printed beside a baseline measured in the same run on the same input.\n\n';
  }
  const start = doc.indexOf('## Results');
  doc = `${start >= 0 ? doc.slice(0, start) : doc}${section}`;
  writeFileSync(path, doc);
  process.stdout.write('BENCHMARKS.md updated\n');
}
