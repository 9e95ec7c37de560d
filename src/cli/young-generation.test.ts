import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { capYoungGeneration } from './young-generation.js';

const child = join(import.meta.dirname, 'testdata/young-generation-child.ts');

function run(arg: string): { capped: boolean; capBytes: number; maxNewSpace: number } {
  // NODE_OPTIONS is cleared so a developer's own semi-space flags cannot turn the cap off.
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, arg], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { capped: boolean; capBytes: number; maxNewSpace: number };
}

test('without a cap, V8 grows new space past 16 MB under a high survival rate (the control)', () => {
  const r = run('none');
  assert.equal(r.capped, false);
  assert.ok(r.maxNewSpace > 16 * 2 ** 20, `new space reached ${r.maxNewSpace} bytes`);
});

test('a 4 MB semi-space cap keeps new space within one doubling of 8 MB, and the process still exits', () => {
  const r = run('4');
  assert.equal(r.capped, true);
  assert.equal(r.capBytes, 8 * 2 ** 20);
  // The documented slack: the check runs after the GC callback, so one lagged doubling may pass.
  assert.ok(r.maxNewSpace <= 2 * r.capBytes, `new space reached ${r.maxNewSpace} bytes, cap ${r.capBytes}`);
});

test('an explicit semi-space or heap flag from the user wins: no cap', () => {
  assert.equal(capYoungGeneration(4, { execArgv: ['--max-semi-space-size=8'], nodeOptions: undefined }), undefined);
  assert.equal(capYoungGeneration(4, { execArgv: [], nodeOptions: '--trace-gc --semi-space-growth-factor=3' }), undefined);
  assert.equal(capYoungGeneration(4, { execArgv: [], nodeOptions: '--max_semi_space_size=1' }), undefined);
  assert.equal(capYoungGeneration(4, { execArgv: ['--max-heap-size=512'], nodeOptions: undefined }), undefined);
  assert.equal(capYoungGeneration(0, { execArgv: [], nodeOptions: undefined }), undefined);
  assert.equal(capYoungGeneration(Number.NaN, { execArgv: [], nodeOptions: undefined }), undefined);
});

test('stop() restores growth and is safe to call in a running process', () => {
  const cap = capYoungGeneration(64, { execArgv: [], nodeOptions: undefined });
  assert.ok(cap);
  assert.ok(cap.newSpaceBytes() > 0);
  cap.stop();
});
