import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { buildParser, fixture, run } from '../test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url);

describe('regex parser', () => {
  const nginx = fixture('nginx-access.log');

  it('extracts named groups of nginx access lines; method becomes a label, streams regroup', () => {
    const t = buildParser(def, def.example as never);
    const out = t.process({ streams: [{ labels: { job: 'nginx' }, ts: [1, 2, 3], lines: [...nginx] }] });
    assert.deepEqual(out.streams.map((s) => s.labels['method']).sort(), ['GET', 'POST']);
    const get = out.streams.find((s) => s.labels['method'] === 'GET');
    assert.deepEqual(get?.ts, [1, 3]);
    assert.deepEqual(get?.fields?.[0], { ip: '192.168.1.10', user: '-', time: '27/Nov/2026:13:05:01 +0000', path: '/api/v1/users?id=7', status: '200', size: '512' });
    assert.equal(get?.fields?.[1]?.['ip'], '2001:db8::1');
  });

  it('syslog lines', () => {
    const t = buildParser(def, { expression: '^(?<ts>\\w{3} [ \\d]\\d \\d{2}:\\d{2}:\\d{2}) (?<host>\\S+) (?<app>[^\\[:]+)(?:\\[(?<pid>\\d+)\\])?: (?<msg>.*)$', labels: ['app'] });
    const recs = run(t, fixture('syslog.log'));
    assert.deepEqual(recs.map((r) => r.labels['app']), ['sshd', 'kernel', 'CRON']);
    assert.equal(recs.find((r) => r.labels['app'] === 'kernel')?.fields?.['pid'], undefined, 'unmatched optional group is not set');
    assert.equal(recs[0]?.fields?.['pid'], '1234');
  });

  it('marks lines that do not match, or ignores them when told', () => {
    const recs = run(buildParser(def, { expression: '^(?<n>\\d+)$' }), ['12', 'abc']);
    assert.deepEqual(recs[0]?.fields, { n: '12' });
    assert.equal(recs[1]?.fields?.['__error__'], 'RegexParserErr');
    const quiet = run(buildParser(def, { expression: '^(?<n>\\d+)$', on_no_match: 'ignore' }), ['abc']);
    assert.equal(quiet[0]?.fields, undefined);
  });

  it('rejects an expression without named groups at build', () => {
    assert.throws(() => buildParser(def, { expression: '^(\\d+)$' }), /named group/);
  });
});
