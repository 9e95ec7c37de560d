import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkCache } from './chunk-cache.js';

const decoded = (n: number) => ({ t: new Float64Array(n), v: new Float64Array(n) });
const SIZE = 100 * 16 + 200; // a 100-sample chunk and the entry overhead

test('chunk cache: least recently used go first, within the byte budget', () => {
  const c = new ChunkCache(3 * SIZE);
  const a = decoded(100);
  c.beginSelect();
  c.put(1, 0, a);
  c.put(1, 100, decoded(100));
  c.put(2, 0, decoded(100));
  c.beginSelect();
  assert.equal(c.get(1, 0), a); // read again: it gets a second chance
  c.beginSelect();
  c.put(3, 0, decoded(100)); // evicts (1, 100), the oldest not read since
  assert.equal(c.get(1, 100), undefined);
  assert.equal(c.get(1, 0), a);
  assert.ok(c.get(2, 0) && c.get(3, 0));
  assert.deepEqual(c.stats(), { entries: 3, bytes: 3 * SIZE, hits: 4, misses: 1 });
  c.beginSelect();
  c.put(4, 0, decoded(1000)); // larger than the whole budget: not kept, evicts nothing
  assert.equal(c.get(4, 0), undefined);
  assert.equal(c.stats().entries, 3);
  c.put(1, 0, decoded(100)); // replacing an entry does not count it twice
  assert.equal(c.stats().bytes, 3 * SIZE);
});

test('chunk cache: a select larger than the cache keeps hitting for what fits', () => {
  const c = new ChunkCache(3 * SIZE);
  const scan = () => {
    c.beginSelect();
    let hits = 0;
    for (let o = 0; o < 5; o++) {
      if (c.get(1, o)) hits++;
      else c.put(1, o, decoded(100));
    }
    return hits;
  };
  assert.equal(scan(), 0);
  // LRU would evict each chunk just before it is needed again and never hit
  assert.equal(scan(), 3);
  assert.equal(scan(), 3);
  assert.equal(c.stats().entries, 3);
  // another select's chunks replace the ones not read by it
  c.beginSelect();
  c.put(2, 0, decoded(100));
  assert.equal(c.stats().entries, 3);
  assert.ok(c.get(2, 0));
});

test('chunk cache: dropping segments removes their entries; size 0 caches nothing', () => {
  const c = new ChunkCache(10 * SIZE);
  for (let s = 1; s <= 3; s++) for (let o = 0; o < 3; o++) c.put(s, o * 1000, decoded(100));
  c.dropSegments(new Set([1, 3]));
  assert.equal(c.stats().entries, 3);
  assert.equal(c.stats().bytes, 3 * SIZE);
  assert.equal(c.get(1, 0), undefined);
  assert.ok(c.get(2, 2000));
  const off = new ChunkCache(0);
  off.put(1, 0, decoded(1));
  assert.equal(off.get(1, 0), undefined);
});

test('chunk_cache_size: sizes resolve to bytes, 64MB by default; a bad size names the key', async () => {
  const { resolveMetricsStoreConfig } = await import('./config.js');
  assert.equal(resolveMetricsStoreConfig({}).chunkCacheBytes, resolveMetricsStoreConfig({ chunk_cache_size: '64MB' }).chunkCacheBytes);
  assert.ok(resolveMetricsStoreConfig({}).chunkCacheBytes >= 64e6);
  assert.equal(resolveMetricsStoreConfig({ chunk_cache_size: 0 }).chunkCacheBytes, 0);
  assert.equal(resolveMetricsStoreConfig({ chunk_cache_size: 1024 }).chunkCacheBytes, 1024);
  assert.throws(() => resolveMetricsStoreConfig({ chunk_cache_size: 'lots' }), /chunk_cache_size: not a size/);
});
