import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CheckpointStore, type Checkpoint } from './checkpoints.js';

const cp = (offset: number): Checkpoint => ({ key: '1:2', fp: { len: 10, hash: 'abc' }, offset, path: '/var/log/app.log', seenMs: 1 }) as unknown as Checkpoint;
const offsetIn = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { checkpoints: Array<{ offset: number }> }).checkpoints[0]?.offset;

describe('CheckpointStore', () => {
  it('does not hold fast saves back during a durable save, and the durable save never replaces a newer document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    const store = new CheckpointStore(dir);
    store.load();
    store.set(cp(100));
    const durable = store.save();
    // Acknowledgements keep arriving while the fsync runs: each is saved at once.
    store.set(cp(200));
    store.saveFast();
    assert.equal(offsetIn(store.path), 200);
    await durable;
    assert.equal(offsetIn(store.path), 200, 'the slower durable save must not roll the document back');
    assert.equal(offsetIn(`${store.path}.durable`), 100);
    const again = new CheckpointStore(dir);
    assert.equal(again.load(), undefined);
    assert.equal(again.get('1:2')?.offset, 200);
    // The next durable save makes the newest document durable in place.
    again.set(cp(300));
    await again.save();
    assert.equal(offsetIn(again.path), 300);
    const third = new CheckpointStore(dir);
    third.load();
    assert.equal(third.get('1:2')?.offset, 300, 'the newest generation wins over the older durable fallback');
  });

  it('falls back to the last durable document when the newer one is torn (a power loss after a fast save)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    const store = new CheckpointStore(dir);
    store.load();
    store.set(cp(100));
    const durable = store.save();
    store.set(cp(200));
    store.saveFast();
    await durable;
    writeFileSync(store.path, '{"version":1,"generation":9,"checkp');
    const after = new CheckpointStore(dir);
    const problem = after.load();
    assert.match(problem ?? '', /checkpoints\.json: .*moved aside, using the last durable checkpoints/);
    assert.equal(after.get('1:2')?.offset, 100);
    assert.ok(existsSync(`${store.path}.corrupt`));
  });

  it('reads documents of earlier versions (no generation)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    writeFileSync(join(dir, 'checkpoints.json'), JSON.stringify({ version: 1, checkpoints: [cp(42)] }));
    const store = new CheckpointStore(dir);
    assert.equal(store.load(), undefined);
    assert.equal(store.get('1:2')?.offset, 42);
  });
});
