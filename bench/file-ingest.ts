/**
 * End-to-end file ingest: a generated log file (default 1 GB, mixed nginx/JSON/stack traces) is
 * tailed by a real `vigil run` process (compiled dist/) into the embedded store. Reports lines/s,
 * MB/s, CPU seconds and peak RSS of the Vigil process, beside the same-run baseline of `wc -l`
 * reading the same file (the ceiling of any tailer on this disk).
 * Usage: node --import tsx bench/file-ingest.ts [--mb 1024] [--prof DIR] [--cache DIR]
 * (--prof writes a V8 CPU profile of the Vigil process into DIR; --cache keeps the generated file
 * in DIR and reuses it in later runs of the same size).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCorpus } from './corpus.js';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const targetMb = arg('mb', 1024);
const profIdx = process.argv.indexOf('--prof');
const profDir = profIdx >= 0 ? process.argv[profIdx + 1] : undefined;
const cacheIdx = process.argv.indexOf('--cache');
const cacheDir = cacheIdx >= 0 ? process.argv[cacheIdx + 1] : undefined;

async function writeCorpus(file: string, bytes: number): Promise<{ lines: number; records: number }> {
  const out = createWriteStream(file);
  let written = 0;
  let lines = 0;
  let records = 0;
  const now = Date.now() * 1000;
  for (const batch of generateCorpus({ lines: Math.ceil(bytes / 150), start: now - 3600e6, end: now, batchLines: 20_000 })) {
    const parts: string[] = [];
    for (const s of batch.streams) for (const l of s.lines) parts.push(l);
    const text = `${parts.join('\n')}\n`;
    records += parts.length;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
    if (written >= bytes) break;
  }
  await new Promise<void>((r) => out.end(r));
  return { lines, records };
}

function procStats(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMb: hwm / 1024 };
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels)) sum += Number(line.split(' ').pop());
  return sum;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-file-'));
  try {
    const file = cacheDir ? join(cacheDir, `corpus-${targetMb}mb.log`) : join(dir, 'app.log');
    const countsFile = `${file}.json`;
    let counts: { lines: number; records: number };
    if (cacheDir && existsSync(countsFile) && existsSync(file)) {
      counts = JSON.parse(readFileSync(countsFile, 'utf8')) as { lines: number; records: number };
    } else {
      process.stderr.write(`generating ${targetMb} MB of logs...\n`);
      counts = await writeCorpus(file, targetMb * 1e6);
      if (cacheDir) writeFileSync(countsFile, JSON.stringify(counts));
    }
    const { lines, records } = counts;
    const bytes = statSync(file).size;

    let t = performance.now();
    execFileSync('wc', ['-l', file]);
    const wcSeconds = (performance.now() - t) / 1000;

    writeFileSync(
      join(dir, 'vigil.yaml'),
      `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'data')}\nlogging:\n  format: json\n  file: false\nsources:\n  bench:\n    type: file\n    include: ["${file}"]\n    start_at: beginning\n    labels: { service: bench }\n    multiline: { mode: continuation, pattern: '^\\s' }\nsinks:\n  store:\n    type: store\n`,
    );
    t = performance.now();
    const child = spawn(process.execPath, [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), join(ROOT, 'bin/vigil.js'), 'run', '-c', join(dir, 'vigil.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const url = await new Promise<string>((res, rej) => {
      const iv = setInterval(() => {
        const m = /"url":"(http[^"]+)"/.exec(err);
        if (m?.[1]) {
          clearInterval(iv);
          res(m[1]);
        }
      }, 20);
      child.on('exit', (c) => rej(new Error(`vigil exited ${c}: ${err}`)));
    });
    let sent = 0;
    let last = { cpuSeconds: 0, peakRssMb: 0 };
    while (sent < records) {
      await new Promise((r) => setTimeout(r, 200));
      sent = await metric(url, 'vigil_component_sent_events_total', 'component_id="bench"');
      last = procStats(child.pid ?? 0);
      if (performance.now() - t > 30 * 60_000) throw new Error(`timed out: ${sent}/${records} entries`);
    }
    const seconds = (performance.now() - t) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    const result = {
      bench: 'file-ingest',
      file_mb: +(bytes / 1e6).toFixed(0),
      file_lines: lines,
      records,
      seconds: +seconds.toFixed(1),
      lines_per_s: Math.round(lines / seconds),
      mb_per_s: +(bytes / 1e6 / seconds).toFixed(1),
      vigil_cpu_s: +last.cpuSeconds.toFixed(1),
      lines_per_cpu_s: Math.round(lines / last.cpuSeconds),
      peak_rss_mb: Math.round(last.peakRssMb),
      baseline_wc_l_s: +wcSeconds.toFixed(2),
      ratio_vs_wc_l: +(wcSeconds / seconds).toFixed(3),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
