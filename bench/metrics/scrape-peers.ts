/**
 * The real processes of the node bytes bench: `prometheus-node-exporter` on a loopback port, and
 * Prometheus scraping it (its own TSDB in a temp dir, admin API on for a snapshot). Both are
 * started, waited for and handed back as children; the caller stops them with stopChild.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { startPrometheus, type PrometheusPeer } from './prometheus-peer.js';
import { captureOutput, sleep } from './proc.js';

export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

/** Why the exporter cannot run here, or undefined when `--version` works. */
export function nodeExporterMissing(bin = NODE_EXPORTER_BIN): string | undefined {
  const r = spawnSync(bin, ['--version']);
  return r.error ? `${bin} is not installed (apt-get install -y prometheus-node-exporter)` : undefined;
}

/** A free loopback TCP port (closed again before it is returned, so a small race remains). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `url` until it answers 2xx; throws with the child's output when it exits or `ms` pass. */
async function waitReady(proc: ChildProcess, url: string, output: () => string, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited ${proc.exitCode}: ${output().slice(-3000)}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${what} not ready in ${ms / 1000} s: ${output().slice(-3000)}`);
    await sleep(100);
  }
}

export interface NodeExporter {
  proc: ChildProcess;
  /** host:port, as a scrape target. */
  address: string;
  output: () => string;
}

/** Starts node_exporter with its default collectors on 127.0.0.1 and waits for /metrics. */
export async function startNodeExporter(bin = NODE_EXPORTER_BIN): Promise<NodeExporter> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const proc = spawn(bin, [`--web.listen-address=${address}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(proc);
  try {
    await waitReady(proc, `http://${address}/metrics`, output, 'node_exporter');
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return { proc, address, output };
}

/** The scrape job both scrapers run, in Prometheus's YAML (Vigil's scrape_configs take the same). */
export function scrapeJobYaml(job: string, target: string, intervalS: number, indent = ''): string {
  return [
    `- job_name: ${job}`,
    `  scrape_interval: ${intervalS}s`,
    `  scrape_timeout: ${intervalS}s`,
    '  static_configs:',
    `    - targets: ["${target}"]`,
  ].map((l) => `${indent}${l}`).join('\n');
}

/**
 * Starts Prometheus scraping `target` every `intervalS` s as job `job`, TSDB in `<dir>/prom-data`;
 * waits for /-/ready. The admin API is on (prometheusDisk takes a snapshot through it).
 */
export async function startScrapingPrometheus(dir: string, job: string, target: string, intervalS: number, bin = 'prometheus'): Promise<PrometheusPeer> {
  return startPrometheus(dir, bin, `global:\n  scrape_interval: ${intervalS}s\n  scrape_timeout: ${intervalS}s\nscrape_configs:\n${scrapeJobYaml(job, target, intervalS, '  ')}\n`);
}

/** A value from the Prometheus HTTP API (`"+Inf"`, `"-Inf"`, `"NaN"` or a decimal). */
export function apiValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

export interface RawSeries {
  labels: Record<string, string>;
  t: number[];
  v: Float64Array;
}

/**
 * Every raw sample of `selector` over the last `rangeS` seconds before `atS`, from an instant
 * query of a range selector (`/api/v1/query`, resultType matrix). Timestamps come back as
 * integer ms; staleness markers are not returned by the API. Throws on an error answer.
 */
export async function fetchRawSamples(url: string, selector: string, rangeS: number, atS = Date.now() / 1000): Promise<RawSeries[]> {
  const q = new URLSearchParams({ query: `${selector}[${Math.ceil(rangeS)}s]`, time: String(atS) });
  const r = await fetch(`${url}/api/v1/query?${q}`);
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}/api/v1/query answered ${r.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { status: string; data?: { resultType?: string; result?: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
  if (body.status !== 'success' || body.data?.resultType !== 'matrix') throw new Error(`${url}: not a matrix answer: ${text.slice(0, 500)}`);
  return (body.data.result ?? []).map((s) => ({
    labels: s.metric,
    t: s.values.map(([ts]) => Math.round(ts * 1000)),
    v: Float64Array.from(s.values, ([, v]) => apiValue(v)),
  }));
}
