/**
 * The command line loads each command's modules only when that command runs: `vigil agent` must
 * not carry the store, LogQL engine or API server, and every command must still work.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { runCli, startVigilProcess, tempDir } from '../../test/support/vigil-process.js';

const recorder = pathToFileURL(join(import.meta.dirname, 'testdata/record-modules.mjs')).href;

describe('vigil command line', () => {
  it('`vigil agent` runs without loading the store, LogQL engine, API server, query client or SQLite', async () => {
    const dir = tempDir('vigil-cli-');
    const modules = join(dir, 'modules.txt');
    writeFileSync(modules, '');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'app.log'), '{"level":"info","msg":"hello"}\n');
    const config = `server:\n  listen: 127.0.0.1:0\nstorage:\n  path: ${join(dir, 'data')}\nlogging:\n  format: json\n  file: false\nsources:\n  app:\n    type: file\n    include: ["${join(dir, 'logs')}/*.log"]\n    start_at: beginning\n    pipeline:\n      - { type: json, labels: [level] }\nsinks:\n  out:\n    type: file\n    path: ${join(dir, 'out.ndjson')}\n`;
    const agent = await startVigilProcess(dir, config, { NODE_OPTIONS: `--import ${recorder}`, VIGIL_TEST_MODULES_FILE: modules }, 'agent', 'agent.yaml');
    try {
      assert.equal((await fetch(`${agent.url}/ready`)).status, 200);
      assert.equal((await fetch(`${agent.url}/metrics`)).status, 200);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr());
    }
    const loaded = readFileSync(modules, 'utf8').split('\n');
    // The positive control: the recorder saw the agent's own wiring, so an empty list cannot pass.
    assert.ok(loaded.some((u) => u.endsWith('/src/cli/agent.ts')), 'the recorder saw src/cli/agent.ts');
    assert.ok(loaded.some((u) => u.endsWith('/src/sources/file/index.ts')), 'the recorder saw the file source');
    const forbidden = ['/src/cli/run.ts', '/src/server/app.ts', '/src/store/logs/index.ts', '/src/store/metrics/index.ts', '/src/cli/query.ts', '/src/monitor/monitor-service.ts', '/node_modules/better-sqlite3/', '/node_modules/ws/'];
    for (const f of forbidden) {
      const hit = loaded.find((u) => u.includes(f));
      assert.equal(hit, undefined, `vigil agent loaded ${f} (${hit})`);
    }
  });

  it('every other command still loads and runs: check (with file:line errors), version, buffer inspect, query, monitors', async () => {
    const dir = tempDir('vigil-cli-');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'sources:\n  a:\n    type: file\n    includ: [x]\nsinks:\n  b: { type: console }\n');
    const check = await runCli(['check', '-c', bad]);
    assert.equal(check.code, 2);
    assert.match(check.stderr + check.stdout, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:5 sources\\.a\\.includ: unknown key`));

    const good = join(dir, 'good.yaml');
    writeFileSync(good, `storage:\n  path: ${join(dir, 'data')}\nsources:\n  a: { type: file, include: ["${dir}/*.log"] }\nsinks:\n  b: { type: console }\n`);
    const ok = await runCli(['check', '-c', good, '--mode', 'agent']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /sources \(1\)/);

    const version = await runCli(['version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^vigil \d+\.\d+\.\d+/);

    const inspect = await runCli(['buffer', 'inspect', dir]);
    assert.equal(inspect.code, 1);
    assert.match(inspect.stderr, /no disk buffer found/);

    // Nothing listens on port 1: both clients load, try, and fail with their own message.
    const query = await runCli(['query', '{job="x"}', '--server', 'http://127.0.0.1:1']);
    assert.notEqual(query.code, 0);
    assert.match(query.stderr, /127\.0\.0\.1:1/);
    const monitors = await runCli(['monitors', '--server', 'http://127.0.0.1:1']);
    assert.equal(monitors.code, 1);
    assert.match(monitors.stderr, /connection refused/);
  });
});
