import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedBlocks } from './prometheus-peer.js';

const H = 3_600_000;

describe('expectedBlocks (Prometheus head compaction rule)', () => {
  it('cuts nothing while the head spans at most 3 h', () => {
    assert.equal(expectedBlocks(0, 3 * H), 0);
  });
  it('cuts 2 h-aligned blocks from the oldest end while more than 3 h remain', () => {
    // 7 h from an aligned start: [0,2h) and [2h,4h) go, 4h..7h (3 h) stays in the head.
    assert.equal(expectedBlocks(0, 7 * H), 2);
    // Unaligned start: the first block ends at the next 2 h boundary.
    assert.equal(expectedBlocks(1 * H, 7 * H + 1), 3);
  });
});
