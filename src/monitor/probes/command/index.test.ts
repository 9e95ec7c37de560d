import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { silent } from '../../testdata/helpers.js';
import command from './index.js';

type Cfg = Static<typeof command.schema>;
const build = (c: Partial<Cfg>) => command.build(Value.Default(command.schema, structuredClone(c)) as Cfg, { name: 't', logger: silent });
const run = (c: Partial<Cfg>, timeoutMs = 5000) => {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  return build(c).run(ac.signal, timeoutMs).finally(() => clearTimeout(timer));
};
const code = (o: { samples: Array<{ name: string; value: number }> }) => o.samples.find((s) => s.name === 'probe_command_exit_code')?.value;

test('exit codes: expected ones succeed, others fail with the code and first stderr line', async () => {
  const okRun = await run({ command: ['/bin/true'] });
  assert.equal(okRun.success, true);
  assert.equal(code(okRun), 0);
  const failed = await run({ command: 'echo "disk /data is 97% full" >&2; exit 2' });
  assert.equal(failed.success, false);
  assert.equal(failed.reason, 'exit code 2: disk /data is 97% full');
  assert.equal(code(failed), 2);
  assert.equal((await run({ command: 'exit 1', expected_exit_codes: [0, 1] })).success, true);
});

test('stdout/stderr patterns must (not) match; env and cwd reach the command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cmd-'));
  assert.equal((await run({ command: 'echo "status: $STATE in $(pwd)"', env: { STATE: 'green' }, cwd: dir, stdout_match: `(?m)^status: green in ${dir}$` })).success, true);
  const r = await run({ command: 'echo "status: degraded"', stdout_not_match: '(?i)DEGRADED' });
  assert.equal(r.reason, 'stdout matches "(?i)DEGRADED"');
  const r2 = await run({ command: ['/bin/sh', '-c', 'echo ready >&2'], stderr_match: '^ok' });
  assert.equal(r2.reason, 'stderr does not match "^ok"');
});

test('a missing program is a clear failure', async () => {
  const r = await run({ command: ['/nonexistent/check-thing'] });
  assert.equal(r.success, false);
  assert.equal(r.reason, 'cannot run /nonexistent/check-thing: not found');
});

test('timeout kills the whole process group, grandchildren included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cmd-'));
  const pidFile = join(dir, 'grandchild.pid');
  const r = await run({ command: `sleep 30 & echo $! > ${pidFile}; wait` }, 300);
  assert.equal(r.success, false);
  assert.equal(r.reason, 'timeout after 300ms');
  assert.ok(r.durationSeconds < 2);
  await sleep(100);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  assert.ok(pid > 0);
  // Reaped or gone: no /proc entry, or a zombie at most.
  const alive = existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.equal(alive, false, `grandchild ${pid} survived the timeout`);
});
