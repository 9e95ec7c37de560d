/**
 * Delivery scenarios with real processes: a destination down for a while then back, an agent
 * restarted with a full disk buffer, a kill -9 mid-stream, SIGHUP while data flows, routing by
 * condition, and JSON wrapped in syslog. The destination counts what it receives without
 * deduplicating, so duplicates are measured, not hidden.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, runCli, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

/** An NDJSON receiver that records every line it is sent; `up` false answers 503 (a destination in trouble). */
class Receiver {
  lines: string[] = [];
  up = true;
  private server: Server | undefined;
  constructor(readonly port: number) {}
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!this.up) {
          res.writeHead(503).end('down for maintenance');
          return;
        }
        for (const l of Buffer.concat(chunks).toString().split('\n')) if (l !== '') this.lines.push((JSON.parse(l) as { line: string }).line);
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => this.server?.listen(this.port, '127.0.0.1', () => r()));
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
    this.server?.closeAllConnections();
  }
  unique(): number {
    return new Set(this.lines).size;
  }
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

function agentConfig(dir: string, sinks: string, sourceExtra = ''): string {
  return `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'agent-data')}\nlogging:\n  format: json\n  file: false\nhost_metrics:\n  enabled: false\nsources:\n  app:\n    type: file\n    include: ["${join(dir, 'logs')}/*.log"]\n    start_at: beginning\n    poll_interval: 50ms\n${sourceExtra}sinks:\n${sinks}`;
}

describe('delivery end to end', () => {
  const children: VigilChild[] = [];
  const receivers: Receiver[] = [];
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
    for (const r of receivers) await r.stop();
  });

  it('a destination down for a while, an agent restart with a full disk buffer: nothing lost, and the local sink never stalls', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const port = await freePort();
    const rx = new Receiver(port);
    receivers.push(rx);
    await rx.start();
    const local = join(dir, 'local.log');
    const sinks = `  central:\n    type: http\n    url: http://127.0.0.1:${port}/ingest\n  local:\n    type: file\n    path: ${local}\n    format: text\n`;
    const log = join(dir, 'logs', 'app.log');
    const write = (from: number, n: number) => appendFileSync(log, Array.from({ length: n }, (_, i) => `event ${from + i}\n`).join(''));
    write(0, 1000);
    let agent = await startVigilProcess(dir, agentConfig(dir, sinks), {}, 'agent', 'agent.yaml');
    children.push(agent);
    await eventually(async () => rx.unique() === 1000, 30_000, '1000 lines at the destination');

    rx.up = false; // the destination answers 503 from now on
    write(1000, 2000);
    await eventually(async () => lines(local).length === 3000, 30_000, 'the local sink keeps up while the other destination is down');
    await agent.stop();

    const inspect = await runCli(['buffer', 'inspect', join(dir, 'agent-data')]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /sink central:/);
    assert.match(inspect.stdout, /2,000 entries/);
    assert.match(inspect.stdout, /corrupt\s+none/);

    agent = await startVigilProcess(dir, agentConfig(dir, sinks), {}, 'agent', 'agent.yaml');
    children.push(agent);
    write(3000, 500);
    await eventually(async () => lines(local).length === 3500, 30_000, 'local sink after restart');
    rx.up = true;
    await eventually(async () => rx.unique() === 3500, 60_000, 'everything at the destination once it is back');
    assert.equal(rx.lines.length, rx.unique(), 'a clean stop and restart sends nothing twice');
    await agent.stop();
  });

  it('kill -9 of the agent mid-stream: nothing lost, duplicates bounded by the batches in flight', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const port = await freePort();
    const rx = new Receiver(port);
    receivers.push(rx);
    await rx.start();
    const sinks = `  central:\n    type: http\n    url: http://127.0.0.1:${port}/ingest\n    batch:\n      max_events: 1000\n`;
    const log = join(dir, 'logs', 'app.log');
    const total = 60_000;
    writeFileSync(log, '');
    const source = '    batch_max_lines: 1000\n';
    let agent = await startVigilProcess(dir, agentConfig(dir, sinks, source), {}, 'agent', 'agent.yaml');
    children.push(agent);
    let written = 0;
    const writer = setInterval(() => {
      if (written >= total) return;
      appendFileSync(log, Array.from({ length: 2000 }, (_, i) => `event ${written + i} ${'x'.repeat(60)}\n`).join(''));
      written += 2000;
    }, 20);
    try {
      await eventually(async () => rx.unique() > 10_000, 60_000, 'data flowing');
      await agent.stop('SIGKILL');
      const atKill = rx.unique();
      agent = await startVigilProcess(dir, agentConfig(dir, sinks, source), {}, 'agent', 'agent.yaml');
      children.push(agent);
      await eventually(async () => written >= total && rx.unique() === total, 90_000, `all ${total} lines (had ${atKill} at the kill)`);
    } finally {
      clearInterval(writer);
    }
    const duplicates = rx.lines.length - rx.unique();
    // In flight at the kill: the source's two unacknowledged batches (1000 lines each; they may
    // already be in the disk buffer) and one sink request (records are added until it holds at
    // least 1000 entries, so fewer than 2000).
    assert.ok(duplicates < 4000, `${duplicates} duplicates after kill -9`);
    process.stderr.write(`# kill -9 mid-stream: ${duplicates} duplicate lines of ${total}\n`);
    await agent.stop();
  });

  it('SIGHUP while data flows: nothing lost; routing sends entries by condition', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const errors = join(dir, 'errors.log');
    const rest = join(dir, 'rest.log');
    const sinks = (extra: string) => `  errors:\n    type: file\n    path: ${errors}\n    format: text\n    condition: '|= "ERROR"'\n  rest:\n    type: file\n    path: ${rest}\n    format: text\n    condition: '!= "ERROR"'\n${extra}`;
    const log = join(dir, 'logs', 'app.log');
    writeFileSync(log, '');
    const agent = await startVigilProcess(dir, agentConfig(dir, sinks('')), {}, 'agent', 'agent.yaml');
    children.push(agent);
    const total = 20_000;
    for (let i = 0; i < total; i += 1000) {
      appendFileSync(log, Array.from({ length: 1000 }, (_, k) => `${(i + k) % 10 === 0 ? 'ERROR' : 'INFO'} event ${i + k}\n`).join(''));
      if (i === 10_000) {
        writeFileSync(join(dir, 'agent.yaml'), agentConfig(dir, sinks(`  console_copy:\n    type: file\n    path: ${join(dir, 'copy.log')}\n    format: text\n`)));
        agent.proc.kill('SIGHUP');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(async () => lines(errors).length + lines(rest).length >= total, 60_000, 'all entries routed');
    const e = lines(errors);
    const r = lines(rest);
    assert.equal(new Set([...e, ...r]).size, total);
    assert.ok(e.every((l) => l.startsWith('ERROR')) && r.every((l) => l.startsWith('INFO')));
    assert.equal(new Set(e).size, total / 10);
    await eventually(async () => /configuration reloaded|reloaded/i.test(agent.stderr()), 10_000, 'reload logged');
    await agent.stop();
  });

  it('JSON wrapped in syslog: the syslog source unwraps it and the json parser extracts its fields', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    const out = join(dir, 'out.ndjson');
    const port = await freePort();
    const cfg = `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'agent-data')}\nlogging:\n  format: json\n  file: false\nhost_metrics:\n  enabled: false\nsources:\n  syslog:\n    type: syslog\n    address: 127.0.0.1:${port}\n    mode: tcp\n    pipeline:\n      - type: json\nsinks:\n  out:\n    type: file\n    path: ${out}\n`;
    const agent = await startVigilProcess(dir, cfg, {}, 'agent', 'agent.yaml');
    children.push(agent);
    const msg = '<134>1 2026-11-27T10:00:00.123456Z web1 checkout 4711 - - {"level":"error","order":"A-17","msg":"payment declined"}\n';
    await new Promise<void>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => c.end(msg, () => resolve()));
      c.on('error', reject);
    });
    const rec = await eventually(async () => {
      const l = lines(out);
      return l.length > 0 ? (JSON.parse(l[0] as string) as { timestamp: string; labels: Record<string, string>; line: string; fields?: Record<string, string> }) : undefined;
    }, 20_000, 'the message in the file sink');
    assert.equal(rec.timestamp, '2026-11-27T10:00:00.123456Z');
    assert.equal(rec.labels['host'], 'web1');
    assert.equal(rec.labels['app'], 'checkout');
    assert.equal(rec.line, '{"level":"error","order":"A-17","msg":"payment declined"}');
    const all = { ...rec.labels, ...rec.fields };
    assert.equal(all['order'], 'A-17');
    assert.equal(all['msg'], 'payment declined');
    await agent.stop();
  });
});
