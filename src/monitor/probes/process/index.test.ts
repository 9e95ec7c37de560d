import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { silent } from '../../testdata/helpers.js';
import proc from './index.js';
import { parseRss, parseStat } from './proc.js';

type Cfg = Static<typeof proc.schema>;
const run = (c: Partial<Cfg>) => proc.build(Value.Default(proc.schema, structuredClone(c)) as Cfg, { name: 't', logger: silent }).run(new AbortController().signal, 5000);
const sample = (o: { samples: Array<{ name: string; value: number }> }, name: string) => o.samples.find((s) => s.name === name)?.value;

test('parses /proc stat with spaces and parentheses in the name', () => {
  const s = parseStat('1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 1 0 100 1000 50');
  assert.deepEqual(s, { comm: 'my (odd) proc', cpuSeconds: 4 });
  assert.equal(parseRss('Name:\tx\nVmRSS:\t    2092 kB\n'), 2092 * 1024);
  assert.equal(parseRss('Name:\tkthreadd\n'), 0);
});

test('finds a real process by cmdline and by pidfile, with CPU and memory', async (t) => {
  const marker = `vigil-proc-test-${process.pid}-${Date.now()}`;
  const child = spawn('/bin/sh', ['-c', `sleep 30; : ${marker}`], { stdio: 'ignore', detached: true });
  // The shell stays (it has a command after sleep), so its command line carries the marker.
  t.after(() => { if (child.pid) process.kill(-child.pid, 'SIGKILL'); });
  await new Promise((r) => setTimeout(r, 150));
  const byCmd = await run({ cmdline: marker });
  assert.equal(byCmd.success, true, byCmd.reason);
  assert.equal(sample(byCmd, 'probe_process_count'), 1);
  assert.ok((sample(byCmd, 'probe_process_resident_memory_bytes') ?? 0) > 100_000);
  assert.ok((sample(byCmd, 'probe_process_cpu_seconds_total') ?? -1) >= 0);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-proc-'));
  writeFileSync(join(dir, 'app.pid'), `${child.pid}\n`);
  assert.equal((await run({ pidfile: join(dir, 'app.pid') })).success, true);
  assert.equal((await run({ name: 'sleep', min_count: 1 })).success, true);

  const tooMany = await run({ cmdline: marker, max_count: 0, min_count: 0 });
  assert.equal(tooMany.reason, `1 processes found by cmdline "${marker}", expected at most 0`);
  const tooFew = await run({ cmdline: marker, min_count: 2 });
  assert.equal(tooFew.reason, `1 process found by cmdline "${marker}", expected at least 2`);
});

test('down when nothing matches or the pidfile is stale or missing', async () => {
  const none = await run({ name: 'no-such-process-name' });
  assert.equal(none.success, false);
  assert.equal(none.reason, 'no process found by name "no-such-process-name"');
  assert.equal(sample(none, 'probe_process_count'), 0);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-proc-'));
  writeFileSync(join(dir, 'stale.pid'), '999999999\n');
  assert.equal((await run({ pidfile: join(dir, 'stale.pid') })).reason, `no process found by pidfile ${join(dir, 'stale.pid')}`);
  assert.equal((await run({ pidfile: join(dir, 'missing.pid') })).reason, `cannot read pidfile ${join(dir, 'missing.pid')}: ENOENT`);
  writeFileSync(join(dir, 'junk.pid'), 'hello');
  assert.equal((await run({ pidfile: join(dir, 'junk.pid') })).reason, `pidfile ${join(dir, 'junk.pid')} holds no pid`);
  // Name patterns are anchored: "slee" does not match "sleep".
  assert.equal((await run({ name: 'slee', min_count: 1 })).success, false);
});
