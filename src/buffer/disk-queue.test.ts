import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiskQueue, RECORD_HEADER, type CorruptionReport } from './disk-queue.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-dq-'));
const payloads = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}${i}`));

async function drainAll(q: DiskQueue, ack = true): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const recs = await q.next(1000, 1 << 20);
    if (recs.length === 0) return out;
    for (const r of recs) {
      out.push(r.payload.toString());
      if (ack) q.ack(r.seq);
    }
  }
}

describe('DiskQueue', () => {
  it('hands a reader that keeps up the appended payloads themselves, and the same bytes from the files after a reopen', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 64, recentBytes: 100 });
    const first = payloads(3, 'first-record-');
    await q.append(first);
    const got = await q.next(10, 1 << 20);
    assert.equal(got.length, 3);
    got.forEach((r, i) => assert.equal(r.payload, first[i], 'the very Buffer appended, not a copy read back'));
    // More than recentBytes: the oldest are read back from the segment files (the bound holds).
    const many = payloads(20, 'second-batch-of-records-');
    await q.append(many);
    const rest = await drainAll(q, false);
    assert.deepEqual(rest, many.map(String));
    await q.close();
    const q2 = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 64 });
    assert.deepEqual(await drainAll(q2), [...first, ...many].map(String));
    await q2.close();
  });

  it('hands records out in order and forgets acknowledged ones across a reopen', async () => {
    const dir = tmp();
    let q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    await q.append(payloads(5));
    const first = await q.next(2, 1 << 20);
    assert.deepEqual(first.map((r) => r.payload.toString()), ['r0', 'r1']);
    q.ack(first[1]!.seq); // out of order: r0 is not acknowledged yet, so nothing is persisted past it
    await q.close();
    q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    assert.deepEqual(await drainAll(q), ['r0', 'r1', 'r2', 'r3', 'r4']);
    await q.close();
    q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    assert.deepEqual(await drainAll(q), []);
    assert.equal(q.usedBytes(), 0);
    await q.close();
  });

  it('shares one fsync among concurrent appends and keeps their order', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => q.append([Buffer.from(`c${i}`)])));
    assert.deepEqual(await drainAll(q), Array.from({ length: 50 }, (_, i) => `c${i}`));
    await q.close();
  });

  it('truncates a torn tail on open and keeps every complete record', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    await q.append(payloads(3));
    await q.close();
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const size = statSync(seg).size;
    const torn = Buffer.alloc(RECORD_HEADER + 3);
    torn.writeUInt32LE(0x42474c56, 0);
    torn.writeUInt32LE(100, 4); // claims 100 bytes, only 3 follow
    appendFileSync(seg, torn);
    const reports: CorruptionReport[] = [];
    const q2 = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20, onCorrupt: (r) => reports.push(r) });
    assert.equal(statSync(seg).size, size);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.offset, size);
    await q2.append([Buffer.from('after')]);
    assert.deepEqual(await drainAll(q2), ['r0', 'r1', 'r2', 'after']);
    await q2.close();
  });

  it('reports a corrupt record with its file and offset, skips it and keeps the rest', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    await q.append([Buffer.from('first'), Buffer.from('second'), Buffer.from('third')]);
    await q.close();
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const bytes = readFileSync(seg);
    const secondAt = RECORD_HEADER + 5;
    bytes.writeUInt8(bytes.readUInt8(secondAt + RECORD_HEADER + 2) ^ 0xff, secondAt + RECORD_HEADER + 2); // flip a payload byte of "second"
    writeFileSync(seg, bytes);
    const reports: CorruptionReport[] = [];
    const q2 = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20, onCorrupt: (r) => reports.push(r) });
    assert.deepEqual(await drainAll(q2), ['first', 'third']);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.offset, secondAt);
    assert.equal(reports[0]!.reason, 'checksum mismatch');
    assert.equal(reports[0]!.file, seg);
    await q2.close();
    // The skipped region is behind the acknowledged position: a reopen reads nothing again.
    const q3 = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    assert.deepEqual(await drainAll(q3), []);
    await q3.close();
  });

  it('rotates segments and deletes the ones fully acknowledged', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20, segmentBytes: 1024 });
    for (let i = 0; i < 20; i++) await q.append([Buffer.alloc(200, 65 + (i % 26))]);
    assert.ok(readdirSync(dir).filter((n) => n.endsWith('.seg')).length >= 4);
    const got = await drainAll(q);
    assert.equal(got.length, 20);
    assert.equal(got[3], 'D'.repeat(200));
    await q.close();
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.seg')).length, 1);
  });

  it('bounds unacknowledged bytes and frees space on acknowledgement', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1000 });
    await q.append([Buffer.alloc(600)]);
    assert.equal(q.wouldOverflow(600), true);
    assert.equal(q.wouldOverflow(100), false);
    const freed = q.waitForSpace();
    const [r] = await q.next(1, 1 << 20);
    q.ack(r!.seq);
    await freed;
    assert.equal(q.usedBytes(), 0);
    assert.equal(q.wouldOverflow(600), false);
    await q.close();
  });

  it('reads a record larger than its read chunk', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 64 << 20 });
    const big = Buffer.alloc(3 << 20, 7);
    await q.append([Buffer.from('small'), big, Buffer.from('tail')]);
    const got: Buffer[] = [];
    for (;;) {
      const recs = await q.next(10, 1024);
      if (recs.length === 0) break;
      for (const r of recs) {
        got.push(r.payload);
        q.ack(r.seq);
      }
    }
    assert.equal(got.length, 3);
    assert.equal(got[1]!.length, big.length);
    assert.equal(got[2]!.toString(), 'tail');
    await q.close();
  });

  it('skips a corrupt record larger than a read chunk and delivers what follows', async () => {
    const dir = tmp();
    const reports: CorruptionReport[] = [];
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 64 << 20, segmentBytes: 32 << 20, onCorrupt: (r) => reports.push(r) });
    await q.append([Buffer.alloc(2 << 20, 0x61), Buffer.from('after')]);
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const bytes = readFileSync(seg);
    bytes.writeUInt8(bytes.readUInt8(RECORD_HEADER + 1000) ^ 0xff, RECORD_HEADER + 1000);
    writeFileSync(seg, bytes);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) for (const r of await q.next(256, 64 * 1024)) (got.push(r.payload.toString()), q.ack(r.seq));
    assert.deepEqual(got, ['after']);
    assert.equal(q.drained(), true);
    assert.equal(reports[0]?.offset, 0);
    await q.close();
  });

  it('records handed out by a read that then failed are still returned (the error comes on the next call)', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 64 << 20, segmentBytes: 100 });
    await q.append([Buffer.alloc(60, 0x61)]);
    await q.append([Buffer.alloc(60, 0x62)]); // a second segment
    const second = join(dir, readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()[1]!);
    renameSync(second, `${second}.away`); // opening segment 2 fails once (EMFILE, EIO...)
    const first = await q.next(256, 1 << 20);
    assert.deepEqual(first.map((r) => r.payload[0]), [0x61]);
    q.ack(first[0]!.seq);
    await assert.rejects(q.next(256, 1 << 20));
    renameSync(`${second}.away`, second);
    const rest = await q.next(256, 1 << 20);
    assert.deepEqual(rest.map((r) => r.payload[0]), [0x62]);
    q.ack(rest[0]!.seq);
    assert.equal(q.usedBytes(), 0);
    await q.close();
  });

  it('refuses a record over the size limit instead of accepting one it could not read back', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, recentBytes: 0, maxBytes: 1 << 20 });
    const huge = { length: 300 * 1024 * 1024 } as unknown as Buffer;
    await assert.rejects(q.append([huge]), /over the .*limit/);
    await q.close();
  });
});

describe('DiskQueue on a full disk', () => {
  it('rejects the appends that did not fit, keeps what was durable, and takes records again once there is room', async (t) => {
    // A real full filesystem: a 256 KiB tmpfs (needs root; skipped otherwise).
    const mnt = mkdtempSync(join(tmpdir(), 'vigil-dq-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (not root)');
      return;
    }
    try {
      const dir = join(mnt, 'q');
      const q = DiskQueue.open({ dir, maxBytes: 64 << 20, segmentBytes: 64 << 20 });
      const ok = Buffer.alloc(60 * 1024, 97);
      await q.append([ok]);
      await q.append([Buffer.alloc(60 * 1024, 98)]);
      const tooBig = Buffer.alloc(200 * 1024, 99);
      await assert.rejects(q.append([tooBig]), /ENOSPC|no space/i);
      // The failed record was cut back: the next record lands right after the durable ones.
      await q.append([Buffer.from('z')]);
      const recs = await q.next(10, 1 << 20);
      assert.deepEqual(recs.map((r) => r.payload[0]), [97, 98, 122]);
      for (const r of recs) q.ack(r.seq);
      await q.close();
      const again = DiskQueue.open({ dir, maxBytes: 64 << 20, segmentBytes: 64 << 20, recentBytes: 0 });
      // After the acknowledged records are gone there is room again; a new record round-trips through the file.
      await again.append([Buffer.from('after the full disk')]);
      const back = await again.next(10, 1 << 20);
      assert.deepEqual(back.map((r) => r.payload.toString()), ['after the full disk']);
      await again.close();
    } finally {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    }
  });
});
