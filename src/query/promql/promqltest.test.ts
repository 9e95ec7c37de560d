import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTestDir, runTestFile } from './promqltest.js';
import { parseSeriesLine } from './promqltest-format.js';
import { isStaleNaN } from './storage.js';

const here = dirname(fileURLToPath(import.meta.url));

test('series notation expands like promqltest', () => {
  const s = parseSeriesLine('m{a="x"} 1+2x2 _ -1-1x1 3x1 stale _x2', 1);
  assert.deepEqual(s.labels, { __name__: 'm', a: 'x' });
  const vals = s.values.map((v) => (v.kind === 'float' ? (isStaleNaN(v.v) ? 'stale' : v.v) : v.kind));
  assert.deepEqual(vals, [1, 3, 5, 'omit', -1, -2, 3, 3, 'stale', 'omit', 'omit']);
});

test('runner counts pass, fail and skip and explains failures', async () => {
  const r = await runTestFile(readFileSync(join(here, 'testdata', 'runner.test'), 'utf8'), 'runner.test');
  assert.equal(r.pass, 4, JSON.stringify(r.failures));
  assert.equal(r.fail, 3);
  assert.equal(r.skip, 1);
  assert.deepEqual(r.failures.map((f) => f.line), [13, 23, 30]);
  assert.match(r.failures[0]?.message ?? '', /expected 7 for foo\{a="1"\} but got 6/);
  assert.match(r.failures[1]?.message ?? '', /expected error but query succeeded/);
});

test('a broken test file is one failure naming the line, not a crash', async () => {
  const r = await runTestFile('load 1m\n  foo{a="1" 1 2\n', 'bad.test');
  assert.equal(r.fail, 1);
  assert.match(r.failures[0]?.message ?? '', /line 2/);
});

// CI clones the repo next to shared/, so the corpus sits at ../shared/promql-tests from the repo root.
const corpus = resolve(here, '..', '..', '..', '..', 'shared', 'promql-tests');

test('Prometheus v3.5 corpus pass rate does not regress', { skip: existsSync(corpus) ? false : `corpus not found at ${corpus}` }, async () => {
  const r = await runTestDir(corpus);
  const rate = r.pass / (r.pass + r.fail);
  const detail = r.files.flatMap((f) => f.failures.slice(0, 3).map((x) => `${f.file}:${x.line} ${x.expr}: ${x.message}`)).join('\n');
  // Achieved 740 pass / 0 fail / 234 skip (native histograms); the floors leave a small margin.
  assert.ok(rate >= 0.99, `pass rate ${rate}\n${detail}`);
  assert.ok(r.pass >= 725, `only ${r.pass} evaluations pass\n${detail}`);
});
