import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { SelectedEntries } from '../interfaces.js';
import { TrigramCollector } from './bloom.js';
import { decodeFieldsBlock, decodeTsPart, encodeChunk, linesToBytes } from './chunk-codec.js';
import { decodeFields, encodeFields } from './fields-codec.js';
import { scanChunk } from './scan.js';
import { collect, openStore, SEC, T0, tempDir } from './testdata/helpers.js';
import { decodeWalBatch, encodeWalBatch } from './wal-codec.js';

type F = Record<string, string> | undefined;

/** `line|k=v,k=v` rows in yield order; also checks each batch's fields column is well-formed. */
function fieldRows(batches: SelectedEntries[]): string[] {
  const out: string[] = [];
  for (const b of batches) {
    if (b.fields) {
      assert.equal(b.fields.length, b.ts.length, 'fields aligned with ts');
      assert.ok(b.fields.some((f) => f !== undefined), 'fields present only when some entry has any');
    }
    for (let i = 0; i < b.ts.length; i++) {
      const f = b.fields?.[i];
      out.push(`${b.lines[i]}|${f ? Object.entries(f).map(([k, v]) => `${k}=${v}`).join(',') : ''}`);
    }
  }
  return out;
}

const APP = { app: 'api' };
const ALL = [{ name: 'app', op: '=~' as const, value: '.+' }];

/** 6 entries of one stream, fields on some, the last append out of order; plus a field-less stream. */
async function seed(store: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  await store.append('fake', {
    streams: [
      { labels: APP, ts: [T0 + 1 * SEC, T0 + 2 * SEC, T0 + 4 * SEC], lines: ['a', 'b', 'd'], fields: [{ trace_id: 't1' }, undefined, { trace_id: 't4', user: 'ü' }] },
      { labels: { app: 'web' }, ts: [T0 + 3 * SEC], lines: ['w'] },
    ],
  });
  await store.append('fake', { streams: [{ labels: APP, ts: [T0 + 5 * SEC], lines: ['e'] }] }); // no fields at all
  await store.append('fake', { streams: [{ labels: APP, ts: [T0 + 3.5 * SEC, T0 + 0.5 * SEC], lines: ['c', 'z'], fields: [undefined, { __error__: 'JSONParserErr' }] }] });
}

const FWD = ['z|__error__=JSONParserErr', 'a|trace_id=t1', 'b|', 'w|', 'c|', 'd|trace_id=t4,user=ü', 'e|'];
const API_FWD = FWD.filter((r) => r !== 'w|');

async function checkAll(store: Awaited<ReturnType<typeof openStore>>, stage: string): Promise<void> {
  assert.deepEqual(fieldRows(await collect(store, { matchers: ALL })), FWD, `${stage}: time forward`);
  assert.deepEqual(fieldRows(await collect(store, { matchers: ALL, direction: 'backward' })), [...FWD].reverse(), `${stage}: time backward`);
  const api = [{ name: 'app', op: '=' as const, value: 'api' }];
  assert.deepEqual(fieldRows(await collect(store, { matchers: api, order: 'stream' })), API_FWD, `${stage}: stream forward`);
  assert.deepEqual(fieldRows(await collect(store, { matchers: api, order: 'stream', direction: 'backward' })), [...API_FWD].reverse(), `${stage}: stream backward`);
  // line filters keep fields aligned with the lines that pass
  assert.deepEqual(fieldRows(await collect(store, { matchers: api, lineFilters: [{ op: '!~', value: '^[bc]$' }] })), API_FWD.filter((r) => !/^[bc]\|/.test(r)), `${stage}: filtered`);
  // timestamp-only scans carry no fields
  const ts = await collect(store, { matchers: api, skipLines: true });
  assert.ok(ts.every((b) => b.fields === undefined), `${stage}: skipLines`);
  assert.equal(ts.reduce((n, b) => n + b.ts.length, 0), API_FWD.length);
}

test('fields round-trip through the head, chunks, WAL replay and compaction', async (t) => {
  const dir = tempDir(t);
  let store = await openStore(dir);
  await seed(store);
  await checkAll(store, 'head');
  // restart without flushing: the heads come back from the WAL
  await store.abandon();
  store = await openStore(dir);
  await checkAll(store, 'wal replay');
  await store.flush();
  assert.equal(store.stats().headEntries, 0);
  await checkAll(store, 'chunks');
  // a second flush of more entries gives the stream several small chunks to merge
  await store.append('fake', { streams: [{ labels: APP, ts: [T0 + 6 * SEC], lines: ['f'], fields: [{ k: 'v' }] }] });
  await store.flush();
  const c = await store.compact();
  assert.ok(c.chunksBefore >= 2 && c.chunksAfter === 1, JSON.stringify(c));
  FWD.push('f|k=v');
  API_FWD.push('f|k=v');
  await checkAll(store, 'compacted');
  await store.stop();
  FWD.pop();
  API_FWD.pop();
});

test('fields come back through the worker-thread scan path', { timeout: 60_000 }, async (t) => {
  const store = await openStore(tempDir(t), { scanWorkers: 2 });
  t.after(() => store.stop());
  const want: string[] = [];
  for (let c = 0; c < 10; c++) {
    const ts = [T0 + c * 10 * SEC, T0 + (c * 10 + 1) * SEC];
    await store.append('fake', { streams: [{ labels: APP, ts, lines: [`hit ${c}`, `miss ${c}`], fields: c % 2 === 0 ? [{ n: String(c) }, undefined] : undefined }] });
    await store.flush(); // one chunk each: enough for the pool
    want.push(`hit ${c}|${c % 2 === 0 ? `n=${c}` : ''}`);
  }
  const got = await collect(store, { matchers: ALL, lineFilters: [{ op: '|=', value: 'hit' }] });
  assert.ok(store.stats().chunksScannedInWorkers >= 8, 'scanned in workers');
  assert.deepEqual(fieldRows(got), want);
});

test('WAL records: version 1 without fields (unchanged bytes), version 2 with them; both decode', () => {
  const plain = encodeWalBatch('t', [{ labels: APP, labelsJson: '{"app":"api"}', ts: [1, 2], lines: ['x', 'y'] }]);
  assert.equal(plain.payload[0], 1);
  // all-undefined fields are no fields: the old format is written
  const undef = encodeWalBatch('t', [{ labels: APP, labelsJson: '{"app":"api"}', ts: [1, 2], lines: ['x', 'y'], fields: [undefined, undefined] }]);
  assert.ok(undef.payload.equals(plain.payload));
  assert.equal(decodeWalBatch(plain.payload).streams[0]?.fields, undefined);
  const mixed = encodeWalBatch('t', [
    { labels: { app: 'a' }, labelsJson: '{"app":"a"}', ts: [1], lines: ['no fields here'] },
    { labels: { app: 'b' }, labelsJson: '{"app":"b"}', ts: [1, 2, 3], lines: ['x', '', 'z'], fields: [{ a: '1', 'é': 'ü'.repeat(300) }, undefined, { '': '' , __proto__x: 'p' }] },
  ]);
  assert.equal(mixed.payload[0], 2);
  const dec = decodeWalBatch(mixed.payload);
  assert.equal(dec.streams[0]?.fields, undefined);
  assert.deepEqual(dec.streams[1]?.fields, [{ a: '1', 'é': 'ü'.repeat(300) }, undefined, { '': '', __proto__x: 'p' }]);
  assert.ok(mixed.bytes[1]?.body.equals(dec.streams[1]?.bytes.body as Buffer));
  assert.throws(() => decodeWalBatch(mixed.payload.subarray(0, mixed.payload.length - 3)), RangeError);
});

test('fields codec keeps a "__proto__" key as data', () => {
  const f: Record<string, string> = {};
  Object.defineProperty(f, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
  const enc = encodeFields([f, undefined], 2);
  const dec = decodeFields(enc, 0, enc.length, 2);
  assert.equal(Object.keys(dec.fields[0] as object).join(), '__proto__');
  assert.equal(Object.getPrototypeOf(dec.fields[0]), Object.prototype);
});

test('chunks: fields block only when some entry has fields, checksummed, skipped by timestamp scans', (t) => {
  const dir = tempDir(t);
  const ts = [1, 2, 3];
  const lines = ['one', 'two', 'three'];
  const plain = encodeChunk(ts, linesToBytes(lines), new TrigramCollector());
  const plainWithUndefined = encodeChunk(ts, linesToBytes(lines), new TrigramCollector(), undefined, [undefined, undefined, undefined]);
  assert.ok(plain.bytes.equals(plainWithUndefined.bytes), 'no fields: the old layout, byte for byte');
  assert.equal(decodeTsPart(plain.bytes.subarray(0, plain.tsPartLength), plain.crcTs).fieldsBlock, undefined);
  const fields: F[] = [undefined, { trace_id: 'abc' }, undefined];
  const enc = encodeChunk(ts, linesToBytes(lines), new TrigramCollector(), undefined, fields);
  const idx = decodeTsPart(enc.bytes.subarray(0, enc.tsPartLength), enc.crcTs);
  const fb = idx.fieldsBlock;
  assert.ok(fb);
  const at = enc.tsPartLength + fb.offset;
  assert.deepEqual(decodeFieldsBlock(enc.bytes.subarray(at, at + fb.length), fb.crc, 3), fields);
  const path = join(dir, 'seg');
  writeFileSync(path, enc.bytes);
  const ref = { path, offset: 0, length: enc.bytes.length, tsLength: enc.tsPartLength, entries: 3, crcTs: enc.crcTs, crcLines: enc.crcLines };
  assert.deepEqual(scanChunk(ref, { start: 0, end: 10, skipLines: false }), { ts, lines, fields });
  assert.deepEqual(scanChunk(ref, { start: 3, end: 10, skipLines: false }), { ts: [3], lines: ['three'] }, 'no fields in range: none returned');
  // a flipped bit in the fields block is corruption, but timestamp-only scans never read it
  const bad = Buffer.from(readFileSync(path));
  bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
  writeFileSync(path, bad);
  assert.throws(() => scanChunk(ref, { start: 0, end: 10, skipLines: false }), { name: 'ChunkCorruptError', message: /fields block checksum/ });
  assert.deepEqual(scanChunk(ref, { start: 0, end: 10, skipLines: true }).ts, ts);
});

test('structured metadata limits: size, pair count and malformed fields are refused per entry, with reasons', async (t) => {
  const registry = new Registry();
  const store = await openStore(tempDir(t), { registry, config: { max_structured_metadata_size: 100, max_structured_metadata_entries_count: 3 } });
  t.after(() => store.stop());
  const r = await store.append('fake', {
    streams: [
      {
        labels: APP,
        ts: [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5],
        lines: ['ok', 'big', 'many', 'bad', 'ok2', 'empty'],
        fields: [{ a: 'b' }, { big: 'x'.repeat(100) }, { a: '1', b: '2', c: '3', d: '4' }, { n: 5 as unknown as string }, undefined, {}],
      },
    ],
  });
  assert.equal(r.accepted, 3);
  const reasons = r.rejected.map((x) => x.reason).join('\n');
  assert.match(reasons, /structured_metadata_too_large\); first at entry 1: structured metadata of 103 bytes, the limit is 100/);
  assert.match(reasons, /structured_metadata_too_many\); first at entry 2: 4 structured metadata pairs, the limit is 3/);
  assert.match(reasons, /bad_entry\); first at entry 3: structured metadata "n" is not a string/);
  assert.deepEqual(r.rejected.map((x) => x.code).sort(), ['BAD_REQUEST', 'LIMIT_EXCEEDED', 'LIMIT_EXCEEDED']);
  assert.deepEqual(fieldRows(await collect(store, { matchers: ALL })), ['ok|a=b', 'ok2|', 'empty|']);
  const m = await registry.getSingleMetricAsString('vigil_store_rejected_entries_total');
  assert.match(m, /reason="structured_metadata_too_large"} 1/);
  // fields that are not an array refuse the whole stream, nothing crashes
  const r2 = await store.append('fake', { streams: [{ labels: APP, ts: [T0], lines: ['x'], fields: 'nope' as unknown as F[] }] });
  assert.equal(r2.accepted, 0);
  assert.match(r2.rejected[0]?.reason ?? '', /fields is not an array/);
});

test('files written before fields existed still read: a version 1 WAL record and a flag-less chunk', () => {
  // Both fixtures were written by the store as it was before this change (testdata/*.bin).
  const wal = decodeWalBatch(readFileSync(new URL('./testdata/old-wal-record.bin', import.meta.url)));
  assert.deepEqual(wal.streams.map((s) => [s.labels, s.ts, s.bytes.body.toString(), s.fields]), [[{ app: 'old' }, [1000, 2000], 'old oneold two', undefined]]);
  const path = new URL('./testdata/old-chunk.bin', import.meta.url).pathname;
  const ref = { path, offset: 0, length: 74, tsLength: 63, entries: 3, crcTs: 4033279272, crcLines: 2721477435 };
  assert.deepEqual(scanChunk(ref, { start: 0, end: 10_000, skipLines: false }), { ts: [1000, 2000, 3000], lines: ['c1', 'c2', 'c3'] });
});

test('field bytes count toward the head size, so short lines with large metadata are still cut', async (t) => {
  const store = await openStore(tempDir(t), { config: { chunk_target_size: 1000 } });
  t.after(() => store.stop());
  await store.append('fake', { streams: [{ labels: APP, ts: [T0, T0 + 1], lines: ['x', 'y'], fields: [{ blob: 'b'.repeat(600) }, { blob: 'c'.repeat(600) }] }] });
  await store.whenWritten();
  assert.equal(store.stats().headEntries, 0);
  assert.equal(store.stats().chunks, 1);
  assert.deepEqual(fieldRows(await collect(store, { matchers: ALL })), [`x|blob=${'b'.repeat(600)}`, `y|blob=${'c'.repeat(600)}`]);
});
