import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RangeQueryResult } from '../../query/promql/index.js';
import { rangeData, rangeResponse, success } from './results.js';

const reference = (r: RangeQueryResult): string => JSON.stringify(success(rangeData(r), r.warnings, r.infos));

describe('rangeResponse', () => {
  it('writes the same bytes as JSON.stringify of the envelope, special floats and labels included', () => {
    const r: RangeQueryResult = {
      resultType: 'matrix',
      series: [
        {
          metric: { __name__: 'up', job: 'a"b\\c', 'ünï': 'line\nbreak\u0001', empty: '' },
          t: [1795775183934, 1795775184000, 1795775185000.5, 0, -1500],
          v: [1, NaN, Infinity, -Infinity, -0],
        },
        { metric: {}, t: [1e15, 17957751839], v: [1e21, 1.5e-7] },
        { metric: { x: 'y' }, t: [], v: [] },
        { metric: { big: 'z' }, t: [1, 2, 3], v: [123456789012345680000, 5e-324, Number.MAX_VALUE] },
      ],
      warnings: [],
      infos: [],
    };
    assert.equal(rangeResponse(r).body.toString(), reference(r));
    JSON.parse(rangeResponse(r).body.toString());
  });

  it('writes times as JSON.stringify does: fractional, negative, huge and odd milliseconds', () => {
    const t = [0, 1, 10, 100, 999, 1000, 1001, 1010, 1100, 1795775183934, 1795775183930, 1795775183900, 999999999999999, 1e15, 1e18, -1, -1500, 0.5, 1795775183934.25, 12.345];
    const r: RangeQueryResult = { resultType: 'matrix', series: [{ metric: { a: 'b' }, t, v: t.map(() => 1) }], warnings: [], infos: [] };
    assert.equal(rangeResponse(r).body.toString(), reference(r));
  });

  it('grows its buffer for long values and many labels', () => {
    const metric: Record<string, string> = {};
    for (let i = 0; i < 200; i++) metric[`l${i}`] = 'ü'.repeat(50);
    const r: RangeQueryResult = { resultType: 'matrix', series: [{ metric, t: [1, 2, 3], v: [5e-324, 1.7976931348623157e308, -1e-300] }], warnings: [], infos: [] };
    assert.equal(rangeResponse(r).body.toString(), reference(r));
  });

  it('includes warnings and infos only when present, in the envelope order', () => {
    const base = { resultType: 'matrix' as const, series: [{ metric: { a: 'b' }, t: [60000], v: [0.1] }] };
    for (const [warnings, infos] of [[[], ['PromQL info: "x"']], [['PromQL warning: w'], []], [['w1', 'w2'], ['i']]] as Array<[string[], string[]]>) {
      const r: RangeQueryResult = { ...base, warnings, infos };
      assert.equal(rangeResponse(r).body.toString(), reference(r));
    }
  });

  it('matches for many random points', () => {
    let seed = 7;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const series = Array.from({ length: 20 }, (_, k) => ({
      metric: { __name__: 'm', i: String(k) },
      t: Array.from({ length: 50 }, (_, i) => 1795775180000 + i * 15000 + Math.floor(rnd() * 1000)),
      v: Array.from({ length: 50 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 60 - 30)),
    }));
    const r: RangeQueryResult = { resultType: 'matrix', series, warnings: [], infos: [] };
    assert.equal(rangeResponse(r).body.toString(), reference(r));
  });
});
