import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createBlocks, omTimestamp, omValue, openMetricsLines, promtoolMissing, writeOpenMetrics, type OmSeries } from './openmetrics-blocks.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('omTimestamp', () => {
  it('parses back to the same ms whether the reader truncates or rounds seconds × 1000', () => {
    for (let t = 1_764_267_127_000; t < 1_764_267_127_000 + 3000; t++) {
      const x = Number(omTimestamp(t)) * 1000;
      assert.equal(Math.trunc(x), t, omTimestamp(t));
      assert.equal(Math.round(x), t, omTimestamp(t));
    }
    assert.equal(omTimestamp(5), '0.00525');
  });
});

describe('openMetricsLines', () => {
  it('groups families, sorts and escapes labels, writes special values, ends with # EOF', () => {
    const series: OmSeries[] = [
      { labels: { __name__: 'a_total', z: '1', b: 'x"y\\z\nw' }, t: [1000, 2000], v: [1.5, NaN] },
      { labels: { __name__: 'b' }, t: [1000], v: [Infinity] },
      { labels: { __name__: 'a_total', b: 'q' }, t: [1000], v: [-0] },
    ];
    const text = [...openMetricsLines(series)].join('');
    assert.equal(
      text,
      [
        'a_total{b="x\\"y\\\\z\\nw",z="1"} 1.5 1.00025',
        'a_total{b="x\\"y\\\\z\\nw",z="1"} NaN 2.00025',
        'a_total{b="q"} -0 1.00025',
        'b +Inf 1.00025',
        '# EOF',
        '',
      ].join('\n'),
    );
    assert.equal(omValue(-Infinity), '-Inf');
    assert.equal(omValue(0.1 + 0.2), '0.30000000000000004');
  });
});

describe('createBlocks (promtool)', () => {
  const missing = promtoolMissing();
  it('turns the samples into a block holding exactly them', { skip: missing ? `skipped: ${missing}` : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-om-'));
    dirs.push(dir);
    const t0 = Date.UTC(2026, 0, 1, 0, 0, 0, 123);
    const series: OmSeries[] = [
      { labels: { __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle' }, t: Array.from({ length: 300 }, (_, i) => t0 + i * 1000 + (i % 7)), v: Array.from({ length: 300 }, (_, i) => 1000 + i * 0.97) },
      { labels: { __name__: 'node_memory_MemTotal_bytes' }, t: [t0, t0 + 15_000], v: [8e9, 8e9] },
    ];
    const file = join(dir, 'in.om');
    await writeOpenMetrics(file, series);
    const out = join(dir, 'blocks');
    const st = createBlocks(file, out);
    assert.equal(st.blocks, 1);
    assert.equal(st.numSamples, 302);
    assert.equal(st.numSeries, 2);
    assert.ok(st.chunks > 0 && st.index > 0 && st.bytes > st.chunks + st.index);
    // promtool tsdb dump reads the block back (it wants a wal dir to open the DB).
    mkdirSync(join(out, 'wal'));
    const dump = spawnSync('promtool', ['tsdb', 'dump', out], { encoding: 'utf8', maxBuffer: 64e6 });
    const lines = dump.stdout.trim().split('\n').filter((l) => l.startsWith('{__name__="node_cpu'));
    assert.equal(lines.length, 300);
    lines.forEach((l, i) => {
      const [, v, t] = l.split(' ').slice(-3);
      assert.equal(Number(t), t0 + i * 1000 + (i % 7));
      assert.equal(Number(v), 1000 + i * 0.97);
    });
  });

  it('throws with promtool\'s output on bad input', { skip: missing ? `skipped: ${missing}` : false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-om-'));
    dirs.push(dir);
    assert.throws(() => createBlocks(join(dir, 'does-not-exist.om'), join(dir, 'out')), /promtool/);
  });
});
