import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { batchToRecords } from '../../core/events.js';
import { DEFAULT_FIELDS, DEFAULT_LABELS_FROM, EntryMapper, decodeJournalValue } from './entry.js';

/** Real `journalctl -o json --all` output of a journal written by systemd-journal-remote (see README of the tests). */
const recorded = readFileSync(new URL('./testdata/recorded.jsonl', import.meta.url), 'utf8').trimEnd().split('\n');

describe('journal value decoding', () => {
  it('decodes strings, byte arrays (with U+FFFD for invalid UTF-8) and multi-valued fields', () => {
    assert.equal(decodeJournalValue('plain'), 'plain');
    assert.equal(decodeJournalValue([104, 105, 0xff]), 'hi\uFFFD');
    assert.equal(decodeJournalValue([0xc3, 0xa9]), 'é');
    assert.equal(decodeJournalValue(['a', [98, 0xfe]]), 'a\nb\uFFFD');
    assert.equal(decodeJournalValue([]), '');
  });

  it('refuses what journalctl never prints', () => {
    assert.equal(decodeJournalValue(null), undefined);
    assert.equal(decodeJournalValue(5), undefined);
    assert.equal(decodeJournalValue({ a: 1 }), undefined);
    assert.equal(decodeJournalValue([1, 256]), undefined);
    assert.equal(decodeJournalValue([1.5]), undefined);
    assert.equal(decodeJournalValue([['a']]), undefined);
  });
});

describe('entry mapper', () => {
  const mapper = () => new EntryMapper({ labels: { job: 'j' }, labelsFrom: { ...DEFAULT_LABELS_FROM }, fields: DEFAULT_FIELDS });

  it('maps recorded journalctl output: time, line, labels, level, fields, binary and multi-valued values', () => {
    const m = mapper();
    for (const l of recorded) assert.equal(m.add(JSON.parse(l), 1), undefined);
    const { batch, entries, cursor } = m.take();
    assert.equal(entries, 6);
    assert.match(cursor ?? '', /;i=6;/);
    const recs = batchToRecords(batch).sort((a, b) => a.ts - b.ts);
    assert.deepEqual(recs.map((r) => r.ts), [1, 2, 3, 4, 5, 6].map((i) => 1795000000000000 + i));
    assert.deepEqual(recs[0], {
      ts: 1795000000000001,
      labels: { job: 'j', unit: 'nginx.service', host: 'web-1', syslog_identifier: 'nginx', level: 'info' },
      line: 'GET /index.html 200',
      fields: { _PID: '811', _COMM: 'nginx', _TRANSPORT: 'stdout', _BOOT_ID: '6a1f0c2b9d4e4f1a8b7c3d2e1f0a9b8c' },
    });
    assert.equal(recs[1]?.labels['level'], 'error');
    assert.equal(recs[2]?.line, 'binary \u0000\u0001 payload \uFFFD\uFFFD tail');
    assert.deepEqual(recs[2]?.fields, { _PID: '900', _TRANSPORT: 'journal', _BOOT_ID: '6a1f0c2b9d4e4f1a8b7c3d2e1f0a9b8c', CODE_FILE: 'src/main.c', CODE_LINE: '42', CODE_FUNC: 'main' });
    assert.equal(recs[2]?.labels['level'], 'warn');
    assert.deepEqual(recs[3]?.labels, { job: 'j', host: 'web-1', syslog_identifier: 'kernel', level: 'critical' });
    assert.equal(recs[4]?.line, 'café multi\nline');
    assert.equal(recs[4]?.labels['level'], 'debug');
    assert.equal(recs[5]?.line, 'x'.repeat(6000));
    // Same labels → one stream: nginx (2 levels), app warn, kernel, app debug, app info.
    assert.equal(batch.streams.length, 6);
  });

  it("keeps every unused field with '*', and a multi-valued label's first value", () => {
    const m = new EntryMapper({ labels: {}, labelsFrom: { tag: 'TAG' }, fields: ['*'] });
    m.add(JSON.parse(recorded[3] as string), 1);
    const [r] = batchToRecords(m.take().batch);
    assert.equal(r?.labels['tag'], 'a');
    assert.equal(r?.labels['level'], 'critical');
    assert.deepEqual(Object.keys(r?.fields ?? {}).sort(), ['SYSLOG_IDENTIFIER', '_BOOT_ID', '_HOSTNAME', '_TRANSPORT']);
  });

  it('reports problems without losing the message', () => {
    const m = mapper();
    assert.equal(m.add([1, 2], 7), 'not_an_object');
    assert.equal(m.add(null, 7), 'not_an_object');
    assert.equal(m.count, 0);
    assert.equal(m.add({ MESSAGE: 'no cursor', __REALTIME_TIMESTAMP: '5' }, 7), 'no_cursor');
    assert.equal(m.add({ MESSAGE: 'bad time', __CURSOR: 'c1', __REALTIME_TIMESTAMP: 'soon', PRIORITY: '9' }, 7), 'bad_timestamp');
    const { batch, cursor } = m.take();
    assert.equal(cursor, 'c1');
    const recs = batchToRecords(batch);
    assert.deepEqual(recs.map((r) => [r.ts, r.line]), [[5, 'no cursor'], [7, 'bad time']]);
    assert.equal(recs[1]?.labels['level'], undefined, 'PRIORITY outside 0..7 gives no level');
    assert.equal(m.count, 0);
    assert.equal(m.take().batch.streams.length, 0);
  });
});
