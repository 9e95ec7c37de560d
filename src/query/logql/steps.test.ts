import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareLabels, formatSampleValue, groupLabels, microsToSeconds } from './steps.js';

describe('result encoding helpers', () => {
  it('formats sample values as Prometheus does (no exponent, Go spellings of NaN/Inf)', () => {
    assert.equal(formatSampleValue(1), '1');
    assert.equal(formatSampleValue(0.1 + 0.2), '0.30000000000000004');
    assert.equal(formatSampleValue(1e21), '1000000000000000000000');
    assert.equal(formatSampleValue(-1.5e-7), '-0.00000015');
    assert.equal(formatSampleValue(1.2345e22), '12345000000000000000000');
    assert.equal(formatSampleValue(Number.NaN), 'NaN');
    assert.equal(formatSampleValue(Infinity), '+Inf');
    assert.equal(formatSampleValue(-Infinity), '-Inf');
  });

  it('orders label sets like labels.Compare and converts times to float seconds with ms precision', () => {
    const sets: Array<Record<string, string>> = [{ b: '1' }, { a: '2' }, { a: '1', b: '1' }, { a: '1' }, {}];
    assert.deepEqual([...sets].sort(compareLabels), [{}, { a: '1' }, { a: '1', b: '1' }, { a: '2' }, { b: '1' }]);
    assert.equal(microsToSeconds(1_700_000_000_123_456), 1_700_000_000.123);
  });

  it('groups labels by and without, dropping empty values', () => {
    assert.deepEqual(groupLabels({ a: '1', b: '2', c: '' }, { without: false, labels: ['a', 'c', 'z'] }), { a: '1' });
    assert.deepEqual(groupLabels({ a: '1', b: '2' }, { without: true, labels: ['a'] }), { b: '2' });
  });
});
