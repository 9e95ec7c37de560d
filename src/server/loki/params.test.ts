import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../../core/errors.js';
import { defaultStep, FormValues, parseBounds, parseLokiTime, parseRangeParams, parseSecondsOrDuration } from './params.js';

const S = 1_000_000;
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;

describe('parseLokiTime (Loki parseTimestamp)', () => {
  it('reads the formats Loki reads', () => {
    assert.equal(parseLokiTime('t', '', 42), 42);
    assert.equal(parseLokiTime('t', String(T0 / S), 0), T0);
    assert.equal(parseLokiTime('t', `${T0}000`, 0), T0);
    assert.equal(parseLokiTime('t', `${T0}999`, 0), T0, 'nanoseconds floor to the microsecond');
    assert.equal(parseLokiTime('t', `${T0 / S}.25`, 0), T0 + 250_000);
    assert.equal(parseLokiTime('t', `${T0 / S}.1234567`, 0), T0 + 123_000, 'floats round to the millisecond as in Loki');
    assert.equal(parseLokiTime('t', '2024-01-02T03:04:05Z', 0), T0);
    assert.equal(parseLokiTime('t', '2024-01-02T05:04:05.000001+02:00', 0), T0 + 1);
    assert.equal(parseLokiTime('t', '0', 99), 0);
    // 10 characters or fewer are seconds, even with a sign.
    assert.equal(parseLokiTime('t', '-10', 0), -10 * S);
  });

  it('names the parameter when it fails', () => {
    for (const bad of ['abc', '2024-01-02', '1.2.3', '99999999999999999999', 'NaN']) {
      assert.throws(() => parseLokiTime('start', bad, 0), (e: unknown) => isVigilError(e) && e.code === 'BAD_REQUEST' && e.message.startsWith("could not parse 'start' parameter: "), bad);
    }
  });
});

describe('parseSecondsOrDuration', () => {
  it('takes float seconds or Prometheus durations', () => {
    assert.equal(parseSecondsOrDuration('step', '15'), 15 * S);
    assert.equal(parseSecondsOrDuration('step', '0.5'), 500_000);
    assert.equal(parseSecondsOrDuration('step', '1m30s'), 90 * S);
    assert.equal(parseSecondsOrDuration('step', '250ms'), 250_000);
    assert.throws(() => parseSecondsOrDuration('step', '5 minutes'), /invalid step parameter: cannot parse "5 minutes" to a valid duration/);
  });
});

describe('bounds and step defaults', () => {
  it('defaultStep is max(floor(range/250s), 1) seconds', () => {
    assert.equal(defaultStep(0, 3600 * S), 14 * S);
    assert.equal(defaultStep(0, 60 * S), 1 * S);
    assert.equal(defaultStep(0, 24 * 3600 * S), 345 * S);
  });

  it('start defaults to min(end, now) - since', () => {
    const now = T0;
    assert.deepEqual(parseBounds(new FormValues({}), now), { start: now - 3600 * S, end: now });
    assert.deepEqual(parseBounds(new FormValues({ since: '10m' }), now), { start: now - 600 * S, end: now });
    // An end in the future does not push the default start forward.
    assert.deepEqual(parseBounds(new FormValues({ end: String(now / S + 7200) }), now), { start: now - 3600 * S, end: now + 7200 * S });
  });

  it('form body values win over the URL query, like Go r.Form', () => {
    const f = new FormValues(new URLSearchParams('query={a="body"}'), { query: '{a="url"}', limit: ['5', '6'] });
    assert.equal(f.get('query'), '{a="body"}');
    assert.equal(f.get('limit'), '5');
    assert.deepEqual(f.getAll('limit'), ['5', '6']);
    const p = parseRangeParams(f, 100, T0);
    assert.equal(p.limit, 5);
    assert.equal(p.interval, undefined);
  });
});
