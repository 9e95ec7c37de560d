import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { NodeBytesResult } from '../node-bytes-bench.js';
import { renderNodeBytesBench } from './node-bytes-render.js';

// One real result (240 scrapes at 1 s, byMetric cut to 10 rows).
const result = JSON.parse(readFileSync(join(import.meta.dirname, 'testdata/node-bytes-result.json'), 'utf8')) as NodeBytesResult;

describe('renderNodeBytesBench', () => {
  it('renders the comparison and the breakdown from a result line', () => {
    const md = renderNodeBytesBench(result);
    assert.match(md, /\| Vigil \(metrics dir after SIGTERM\) \| \*\*4\.428\*\* \| 2\.018 \| 2\.409 \|/);
    assert.match(md, /\| Prometheus blocks of the same samples \(promtool create-blocks-from openmetrics\) \| 3\.728 \|/);
    assert.match(md, /The interval is shorter than production's 15 s/);
    assert.match(md, /one chunk per series: 1\.941 B\/sample/);
    assert.match(md, /every 15th sample/);
    assert.doesNotMatch(md, /NaN|undefined|Infinity/);
  });

  it('leaves out the short-interval caveat and the estimate when they do not apply', () => {
    const { decimated: _, ...profile } = result.profile;
    const md = renderNodeBytesBench({ ...result, interval_s: 15, profile });
    assert.doesNotMatch(md, /shorter than production|every 15th/);
    assert.match(md, /Timestamps are delta-of-delta encoded/);
  });
});
