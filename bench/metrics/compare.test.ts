import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareMatrix, type MatrixSeries } from './compare.js';

const s = (metric: Record<string, string>, values: Array<[number, string]>): MatrixSeries => ({ metric, values });

describe('compareMatrix', () => {
  it('accepts the same series in another order and label order, within tolerance', () => {
    const a = [s({ b: '2', a: '1' }, [[60, '1.0000000000001']]), s({ a: 'x' }, [[60, '0']])];
    const b = [s({ a: 'x' }, [[60, '1e-15']]), s({ a: '1', b: '2' }, [[60, '1']])];
    const r = compareMatrix(a, b);
    assert.equal(r.equal, true, r.mismatch);
    assert.equal(r.points, 2);
    assert.ok(r.maxRelDiff > 0 && r.maxRelDiff < 1e-9);
  });
  it('refuses a different value, a missing point, a missing series, a shifted timestamp', () => {
    const ref = [s({ a: '1' }, [[60, '1'], [120, '2']])];
    assert.match(compareMatrix([s({ a: '1' }, [[60, '1'], [120, '2.001']])], ref).mismatch ?? '', /2.001 vs 2/);
    assert.match(compareMatrix([s({ a: '1' }, [[60, '1']])], ref).mismatch ?? '', /1 points from the candidate, 2/);
    assert.match(compareMatrix([s({ a: '2' }, [[60, '1'], [120, '2']])], ref).mismatch ?? '', /missing/);
    assert.match(compareMatrix([s({ a: '1' }, [[60, '1'], [180, '2']])], ref).mismatch ?? '', /time 180 vs 120/);
    assert.equal(compareMatrix([], ref).equal, false);
  });
  it('treats NaN as equal to NaN and +Inf as different from a number', () => {
    assert.equal(compareMatrix([s({}, [[1, 'NaN']])], [s({}, [[1, 'NaN']])]).equal, true);
    assert.equal(compareMatrix([s({}, [[1, '+Inf']])], [s({}, [[1, '5']])]).equal, false);
  });
});
