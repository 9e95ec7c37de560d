/**
 * The real Prometheus for the PromQL bench: started on an empty TSDB with the remote write
 * receiver and the admin API (for a snapshot that turns the head into a block), no scrape jobs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { captureOutput, sleep } from './proc.js';

/** Why the peer cannot run here, or undefined when `prometheus --version` works. */
export function prometheusMissing(bin = 'prometheus'): string | undefined {
  const r = spawnSync(bin, ['--version']);
  return r.error ? `${bin} is not installed (bash .ci/peers.sh installs it)` : undefined;
}

/** `prometheus --version`'s first line (e.g. `prometheus, version 2.42.0+ds ...`). */
export function prometheusVersion(bin = 'prometheus'): string {
  const r = spawnSync(bin, ['--version']);
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? 'unknown';
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface PrometheusPeer {
  proc: ChildProcess;
  url: string;
  dataDir: string;
  output: () => string;
}

/**
 * Starts Prometheus (remote-write receiver and admin API on) with `configYaml` (default: no scrape
 * jobs) and waits for /-/ready; rejects with its output (and kills it) when it exits or is not ready in 60 s.
 */
export async function startPrometheus(dir: string, bin = 'prometheus', configYaml = 'global:\n  scrape_interval: 15s\nscrape_configs: []\n'): Promise<PrometheusPeer> {
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, configYaml);
  const port = await freePort();
  const dataDir = join(dir, 'prom-data');
  const proc = spawn(bin, [
    `--config.file=${cfg}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--web.enable-admin-api',
    '--storage.tsdb.retention.time=30d',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(proc);
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}: ${output().slice(-3000)}`);
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`prometheus not ready in 60 s: ${output().slice(-3000)}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return { proc, url, dataDir, output };
}

/** Sum of the sizes of every file under `dir` (0 when it does not exist). */
export function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Persisted block directories of a TSDB dir (complete ones: meta.json present). */
export function blockDirs(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir).filter((d) => ULID.test(d) && existsSync(join(dataDir, d, 'meta.json')));
}

/**
 * How many 2 h blocks Prometheus cuts from a head that received samples from `minT` to `maxT`
 * (ms): it compacts the oldest 2 h-aligned range while the head spans more than 3 h.
 */
export function expectedBlocks(minT: number, maxT: number, rangeMs = 7_200_000): number {
  let n = 0;
  let mint = minT;
  while (maxT - mint > rangeMs * 1.5) {
    mint = Math.floor(mint / rangeMs) * rangeMs + rangeMs;
    n++;
  }
  return n;
}

export interface PromDisk {
  total: number;
  wal: number;
  chunksHead: number;
  blocks: number;
  blockCount: number;
  /** All data written as blocks by a snapshot (head included); 0 when the snapshot failed. */
  snapshot: number;
}

/** Sizes of the TSDB dir by part, then of a fresh snapshot (admin API) of everything. */
export async function prometheusDisk(p: PrometheusPeer): Promise<PromDisk> {
  const blocks = blockDirs(p.dataDir);
  const d: PromDisk = {
    total: dirBytes(p.dataDir),
    wal: dirBytes(join(p.dataDir, 'wal')),
    chunksHead: dirBytes(join(p.dataDir, 'chunks_head')),
    blocks: blocks.reduce((a, b) => a + dirBytes(join(p.dataDir, b)), 0),
    blockCount: blocks.length,
    snapshot: 0,
  };
  const r = await fetch(`${p.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' });
  if (r.ok) {
    const name = ((await r.json()) as { data?: { name?: string } }).data?.name;
    if (name) d.snapshot = dirBytes(join(p.dataDir, 'snapshots', name));
  }
  return d;
}
