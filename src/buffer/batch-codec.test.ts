import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogBatch } from '../core/events.js';
import { decodeBatch, encodeBatch, mergeBatches } from './batch-codec.js';

const batch: LogBatch = {
  streams: [
    { labels: { job: 'app', level: 'info' }, ts: [1, 2, 3], lines: ['a', 'héllo wörld ✓ 😀', '{"k":"v\\n"}'], fields: [undefined, { user: 'ü', trace_id: 'x' }, undefined] },
    { labels: { job: 'other' }, ts: [1_795_800_000_000_001], lines: ['\u0000 control \t chars'] },
  ],
};

describe('batch codec', () => {
  it('round-trips streams, fields with gaps, non-ASCII text and large timestamps', () => {
    assert.deepEqual(decodeBatch(encodeBatch(batch)), batch);
  });

  it('still decodes records written as JSON by earlier versions', () => {
    const legacy = Buffer.from(JSON.stringify(batch.streams));
    assert.deepEqual(decodeBatch(legacy), batch);
  });

  it('names what is wrong with a payload that is not a batch', () => {
    assert.throws(() => decodeBatch(Buffer.from('{"x":1}')), /not a batch/);
    assert.throws(() => decodeBatch(encodeBatch({ streams: [{ labels: {}, ts: [1, 2], lines: ['one'] }] })), /stream 0 is malformed/);
    const cut = encodeBatch(batch).subarray(0, 20);
    assert.throws(() => decodeBatch(cut), /does not deserialize|malformed|not a batch/);
  });

  it('merges batches, joining streams with the same labels in order', () => {
    const m = mergeBatches([batch, { streams: [{ labels: { level: 'info', job: 'app' }, ts: [9], lines: ['z'] }] }]);
    const app = m.streams.find((s) => s.labels.job === 'app');
    assert.deepEqual(app?.lines, ['a', 'héllo wörld ✓ 😀', '{"k":"v\\n"}', 'z']);
    assert.deepEqual(app?.fields?.[3], undefined);
    assert.equal(app?.fields?.length, 4);
  });
});
