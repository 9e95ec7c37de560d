import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchOf, buildParser, fixture } from '../test-helpers.js';
import jsonDef from '../json/index.js';
import def from './index.js';
import { compileFormat } from './formats.js';

conformance(def, import.meta.url);

const NOW = Date.UTC(2026, 10, 27, 14, 0, 0) * 1000;
const us = (iso: string): number => Date.parse(iso) * 1000;
const parse = (format: string, text: string, location = 'UTC'): number | undefined => compileFormat(format, location, () => NOW)(text);

describe('timestamp formats', () => {
  it('rfc3339 and iso8601 with fractions to the microsecond and offsets', () => {
    assert.equal(parse('rfc3339', '2026-11-27T13:05:01.123456789Z'), us('2026-11-27T13:05:01.123Z') + 456);
    assert.equal(parse('rfc3339', '2026-11-27T14:05:01+01:00'), us('2026-11-27T13:05:01Z'));
    assert.equal(parse('rfc3339', '2026-11-27 13:05:01'), undefined, 'rfc3339 needs T and a zone');
    assert.equal(parse('iso8601', '2026-11-27 13:05:01,5'), us('2026-11-27T13:05:01.5Z'));
    assert.equal(parse('iso8601', '2026-11-27T13:05:01+0100'), us('2026-11-27T12:05:01Z'));
    assert.equal(parse('iso8601', '2026-02-30T00:00:00Z'), undefined, 'no such day');
  });

  it('unix epochs in s, ms, us, ns without precision loss', () => {
    assert.equal(parse('unix', '1795784703.25'), 1795784703_250000);
    assert.equal(parse('unix', '1795784703'), 1795784703_000000);
    assert.equal(parse('unix_ms', '1795784703123'), 1795784703_123000);
    assert.equal(parse('unix_us', '1795784703123456'), 1795784703_123456);
    assert.equal(parse('unix_ns', '1795784703123456789'), 1795784703_123456);
    assert.equal(parse('unix', 'yesterday'), undefined);
  });

  it('common_log (nginx/apache) and rfc3164 (syslog, year guessed)', () => {
    assert.equal(parse('common_log', '27/Nov/2026:14:05:02 +0100'), us('2026-11-27T13:05:02Z'));
    assert.equal(parse('rfc3164', 'Nov  7 03:04:05'), us('2026-11-07T03:04:05Z'));
    assert.equal(parse('rfc3164', 'Dec 31 23:59:59'), us('2025-12-31T23:59:59Z'), 'a date ahead of now is last year');
    assert.equal(parse('rfc3164', 'Nov 27 13:05:01', 'Europe/Paris'), us('2026-11-27T12:05:01Z'));
  });

  it('Go layouts, with location for zone-less times across DST', () => {
    assert.equal(parse('2006-01-02 15:04:05.000', '2026-11-27 13:05:01.250'), us('2026-11-27T13:05:01.250Z'));
    assert.equal(parse('2006-01-02 15:04:05', '2026-07-01 12:00:00', 'Europe/Paris'), us('2026-07-01T10:00:00Z'));
    assert.equal(parse('2006-01-02 15:04:05', '2026-01-01 12:00:00', 'Europe/Paris'), us('2026-01-01T11:00:00Z'));
    assert.equal(parse('02/01/06 3:04PM', '27/11/26 1:05PM'), us('2026-11-27T13:05:00Z'));
    assert.equal(parse('Mon Jan _2 15:04:05 2006', 'Fri Nov  7 13:05:01 2026'), us('2026-11-07T13:05:01Z'));
    assert.equal(parse('2006-01-02T15:04:05.999999999Z07:00', '2026-11-27T13:05:01Z'), us('2026-11-27T13:05:01Z'));
    assert.equal(parse('2006-01-02T15:04:05.999999999Z07:00', '2026-11-27T13:05:01.5-02:00'), us('2026-11-27T15:05:01.5Z'));
    assert.equal(parse('Jan 2, 2006 at 3:04pm (MST)', 'Nov 27, 2026 at 1:05pm (UTC)'), us('2026-11-27T13:05:00Z'));
    assert.equal(parse('2006-01-02', '2026-13-01'), undefined);
    assert.throws(() => compileFormat('hello', 'UTC', () => NOW), /no date or time element/);
    assert.throws(() => compileFormat('rfc3339', 'Mars/Olympus', () => NOW));
  });
});

describe('timestamp parser', () => {
  it('sets entry times from a field extracted by json; failures keep the read time and are marked', () => {
    const j = buildParser(jsonDef, {});
    const t = buildParser(def, { source: 'time', format: 'rfc3339' });
    const out = t.process(j.process(batchOf([...fixture('app.jsonl'), '{"time":"garbage"}'])));
    const s = out.streams[0];
    assert.equal(s?.ts[0], us('2026-11-27T13:05:01.123Z') + 456);
    assert.equal(s?.ts[1], us('2026-11-27T12:05:02.5Z'));
    assert.equal(s?.ts[2], 1_000_002, 'no `time` field: read time kept');
    assert.equal(s?.fields?.[2]?.['__error__'], 'TimestampParserErr');
    assert.equal(s?.ts[3], 1_000_003);
    assert.match(s?.fields?.[3]?.['__error_details__'] ?? '', /cannot parse "garbage" as rfc3339/);
  });

  it('takes the time from a regex group on the line (nginx)', () => {
    const t = buildParser(def, { expression: '\\[(?<ts>[^\\]]+)\\]', format: 'common_log' });
    const out = t.process(batchOf(fixture('nginx-access.log')));
    assert.deepEqual(out.streams[0]?.ts, [us('2026-11-27T13:05:01Z'), us('2026-11-27T13:05:02Z'), us('2026-11-27T13:05:03Z')]);
  });

  it('syslog lines with rfc3164 and a location', () => {
    const t = buildParser(def, { expression: '^(\\w{3} [ \\d]\\d \\d{2}:\\d{2}:\\d{2})', format: 'rfc3164', location: 'America/New_York' }, () => NOW);
    const out = t.process(batchOf(fixture('syslog.log')));
    assert.equal(out.streams[0]?.ts[1], us('2026-11-07T08:04:05Z'));
  });

  it('rejects an unusable layout at build', () => {
    assert.throws(() => buildParser(def, { source: 'x', format: 'no layout' }), /format/);
  });
});
