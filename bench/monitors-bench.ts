/**
 * 5,000 HTTP monitors: a compiled `vigil run` with a generated config of N `type: http` monitors
 * (30 s interval, `keywords: [ok]`, host metrics off, no log sources or sinks) probes a local
 * target that runs in its own process (several ports and paths; answers `200 ok` at once, so its
 * CPU is not Vigil's). After startup and one interval of warm-up, CPU (utime+stime delta / wall,
 * as a % of one core) and RSS of the Vigil process are measured over the window (default 3
 * intervals), with the probe runs completed in it (`vigil_monitor_runs_total` on /metrics) against
 * the runs due (N × window / interval) and the requests the target served.
 *
 * Usage: node --import tsx bench/monitors-bench.ts [--monitors 5000] [--interval 30]
 *   [--measure 90] [--ports 4] [--bin bin/vigil.js] [--prof DIR]
 * Prints the markdown on stderr and the result as one JSON line on stdout (for bench/run.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { captureOutput, ensureBuilt, load1, median, ROOT, sampleProc, sleep, startVigil, stopChild, sumMetric, type ProcSample } from './metrics/proc.js';

export interface MonitorsBenchOptions {
  monitors: number;
  intervalS?: number;
  /** Seconds measured after the warm-up interval (at least two intervals make a fair figure). */
  measureS?: number;
  ports?: number;
  maxConcurrency?: number;
  vigilBin?: string;
  profDir?: string;
}

export interface MonitorsBenchResult {
  bench: 'monitors';
  monitors: number;
  interval_s: number;
  measure_s: number;
  startup_s: number;
  cpu_pct_one_core: number;
  cpu_s: number;
  peak_rss_mb: number;
  /** Median VmRSS over the measured window. */
  steady_rss_mb: number;
  runs_completed: number;
  runs_due: number;
  runs_success: number;
  runs_per_s: number;
  skipped_runs: number;
  target_requests: number;
  target_cpu_s: number;
  load_before: number;
  target_cpu_pct: 50;
}

async function startTarget(ports: number) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'metrics/http-target.ts'), String(ports)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(proc);
  const list = await new Promise<number[]>((res, rej) => {
    const iv = setInterval(() => {
      const m = /listening ([\d,]+)/.exec(output());
      if (m?.[1]) {
        clearInterval(iv);
        res(m[1].split(',').map(Number));
      }
    }, 20);
    proc.once('exit', (c) => {
      clearInterval(iv);
      rej(new Error(`target exited ${c}: ${output()}`));
    });
  });
  return { proc, ports: list };
}

/** The config under test: N http monitors spread over the target's ports and 50 paths each. */
export function monitorsConfig(dir: string, n: number, ports: number[], intervalS: number, maxConcurrency: number): string {
  const lines = [
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
    'monitoring:',
    `  max_concurrency: ${maxConcurrency}`,
    'monitors:',
  ];
  const timeout = Math.min(10, Math.max(1, Math.floor(intervalS / 3)));
  for (let i = 0; i < n; i++) {
    const port = ports[i % ports.length];
    const name = `svc_${String(i).padStart(5, '0')}`;
    lines.push(`  ${name}: { type: http, url: "http://127.0.0.1:${port}/svc/${i % 50}/health?id=${i}", interval: ${intervalS}s, timeout: ${timeout}s, keywords: [ok], labels: { team: t${i % 20} } }`);
  }
  return `${lines.join('\n')}\n`;
}

async function metricsText(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  if (!r.ok) throw new Error(`/metrics answered ${r.status}`);
  return r.text();
}

/** Runs the bench once; throws when Vigil or the target dies, or no probe completes. */
export async function runMonitorsBench(opts: MonitorsBenchOptions): Promise<MonitorsBenchResult> {
  const bin = opts.vigilBin ?? ensureBuilt();
  const intervalS = opts.intervalS ?? 30;
  const measureS = opts.measureS ?? 3 * intervalS;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-monitors-'));
  const target = await startTarget(opts.ports ?? 4);
  let vigil: Awaited<ReturnType<typeof startVigil>> | undefined;
  try {
    const load = load1();
    const prof = opts.profDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=monitors-${Date.now()}.cpuprofile`] : [];
    vigil = await startVigil(bin, dir, monitorsConfig(dir, opts.monitors, target.ports, intervalS, opts.maxConcurrency ?? 64), prof);
    const pid = vigil.proc.pid ?? 0;
    process.stderr.write(`vigil ready in ${(vigil.startupMs / 1000).toFixed(1)} s; warming up ${intervalS} s\n`);
    await sleep(intervalS * 1000);
    const served0 = ((await (await fetch(`http://127.0.0.1:${target.ports[0]}/__count`)).json()) as { served: number }).served;
    const m0 = await metricsText(vigil.url);
    const p0 = sampleProc(pid);
    const t0 = performance.now();
    const rss: number[] = [];
    let last: ProcSample = p0;
    while (performance.now() - t0 < measureS * 1000) {
      await sleep(1000);
      if (vigil.proc.exitCode !== null) throw new Error(`vigil exited ${vigil.proc.exitCode}: ${vigil.output().slice(-3000)}`);
      last = sampleProc(pid);
      rss.push(last.rssMb);
    }
    const wall = (performance.now() - t0) / 1000;
    const m1 = await metricsText(vigil.url);
    const served1 = ((await (await fetch(`http://127.0.0.1:${target.ports[0]}/__count`)).json()) as { served: number }).served;
    const runs = sumMetric(m1, 'vigil_monitor_runs_total', 'type="http"') - sumMetric(m0, 'vigil_monitor_runs_total', 'type="http"');
    const ok = sumMetric(m1, 'vigil_monitor_runs_total', 'result="success"') - sumMetric(m0, 'vigil_monitor_runs_total', 'result="success"');
    const skipped = sumMetric(m1, 'vigil_monitor_skipped_runs_total') - sumMetric(m0, 'vigil_monitor_skipped_runs_total');
    if (runs <= 0) throw new Error(`no probe run completed in ${wall.toFixed(0)} s: ${vigil.output().slice(-3000)}`);
    const cpu = last.cpuSeconds - p0.cpuSeconds;
    return {
      bench: 'monitors',
      monitors: opts.monitors,
      interval_s: intervalS,
      measure_s: +wall.toFixed(1),
      startup_s: +(vigil.startupMs / 1000).toFixed(1),
      cpu_pct_one_core: +((100 * cpu) / wall).toFixed(1),
      cpu_s: +cpu.toFixed(2),
      peak_rss_mb: Math.round(last.peakRssMb),
      steady_rss_mb: Math.round(median(rss)),
      runs_completed: runs,
      runs_due: Math.round((opts.monitors * wall) / intervalS),
      runs_success: ok,
      runs_per_s: +(runs / wall).toFixed(1),
      skipped_runs: skipped,
      target_requests: served1 - served0,
      target_cpu_s: +sampleProc(target.proc.pid ?? 0).cpuSeconds.toFixed(1),
      load_before: load,
      target_cpu_pct: 50,
    };
  } finally {
    if (vigil) await stopChild(vigil.proc);
    await stopChild(target.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en');

/** The result as a markdown section (one table, target verdict included). */
export function renderMonitorsBench(r: MonitorsBenchResult): string {
  return [
    `### ${fmt(r.monitors)} HTTP monitors, ${r.interval_s} s interval, local target in its own process`,
    '',
    '| CPU (% of one core) | CPU s over window | peak RSS | steady RSS (median) | probe runs completed / due | successful | runs/s | skipped | startup | target (< 50% of a core) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${r.cpu_pct_one_core}% | ${r.cpu_s} s over ${r.measure_s} s | ${r.peak_rss_mb} MB | ${r.steady_rss_mb} MB | ${fmt(r.runs_completed)} / ${fmt(r.runs_due)} | ${fmt(r.runs_success)} | ${r.runs_per_s} | ${fmt(r.skipped_runs)} | ${r.startup_s} s | ${r.cpu_pct_one_core < r.target_cpu_pct ? 'met' : 'missed'} |`,
    '',
    `Measured after one interval of warm-up. The target served ${fmt(r.target_requests)} requests in the window (its own CPU: ${r.target_cpu_s} s, not counted). Load average before the run: ${r.load_before}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const val = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const bin = val('bin');
  const prof = val('prof');
  const interval = val('interval');
  const measure = val('measure');
  const conc = val('concurrency');
  const result = await runMonitorsBench({
    monitors: Number(val('monitors') ?? 5000),
    ports: Number(val('ports') ?? 4),
    ...(interval ? { intervalS: Number(interval) } : {}),
    ...(measure ? { measureS: Number(measure) } : {}),
    ...(conc ? { maxConcurrency: Number(conc) } : {}),
    ...(bin ? { vigilBin: resolve(bin) } : {}),
    ...(prof ? { profDir: resolve(prof) } : {}),
  });
  process.stderr.write(`\n${renderMonitorsBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
