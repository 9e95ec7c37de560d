import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchToRecords } from '../../../core/events.js';
import { buildParser } from '../../parsers/test-helpers.js';
import def from './index.js';
import { compileTemplate, renderTemplate } from './template.js';

conformance(def, import.meta.url);

describe('labels transform', () => {
  it('adds static labels, renames and drops, in that order', () => {
    const t = buildParser(def, { add: { env: 'prod', filename: 'x' }, rename: { filename: 'file', env: 'environment' }, drop: ['pod'] });
    const out = t.process({ streams: [{ labels: { job: 'a', pod: 'p1', filename: '/var/log/a' }, ts: [1], lines: ['l'] }] });
    assert.deepEqual(out.streams.map((s) => s.labels), [{ job: 'a', file: 'x', environment: 'prod' }]);
  });

  it('merges streams whose labels become equal, keeping order and fields', () => {
    const t = buildParser(def, { drop: ['pod'] });
    const out = t.process({
      streams: [
        { labels: { job: 'a', pod: '1' }, ts: [1, 3], lines: ['a1', 'a3'] },
        { labels: { job: 'a', pod: '2' }, ts: [2], lines: ['a2'], fields: [{ trace: 't' }] },
        { labels: { job: 'b', pod: '1' }, ts: [1], lines: ['b1'] },
      ],
    });
    assert.equal(out.streams.length, 2);
    assert.deepEqual(out.streams[0]?.labels, { job: 'a' });
    assert.deepEqual(out.streams[0]?.lines, ['a1', 'a3', 'a2']);
    assert.deepEqual(out.streams[0]?.fields, [undefined, undefined, { trace: 't' }]);
    assert.deepEqual(out.streams[1]?.labels, { job: 'b' });
  });

  it('templates from fields (winning) and labels, splitting a stream; empty renders set no label', () => {
    const t = buildParser(def, { add: { service: '{{.app}}-{{ .job }}', level: '{{.level}}' } });
    const out = t.process({
      streams: [{
        labels: { job: 'api' }, ts: [1, 2, 3, 4], lines: ['1', '2', '3', '4'],
        fields: [{ app: 'shop', level: 'info' }, { app: 'cart' }, { app: 'shop', level: 'info', job: 'worker' }, undefined],
      }],
    });
    const recs = batchToRecords(out);
    assert.deepEqual(recs.map((r) => [r.line, r.labels]), [
      ['1', { job: 'api', service: 'shop-api', level: 'info' }],
      ['2', { job: 'api', service: 'cart-api' }],
      ['3', { job: 'api', service: 'shop-worker', level: 'info' }],
      ['4', { job: 'api', service: '-api' }],
    ]);
    assert.equal(out.streams.length, 4);
  });

  it('rejects invalid names and templates at config time', () => {
    assert.throws(() => buildParser(def, { add: { 'bad-name': 'x' } }), /add\.bad-name: invalid label name/);
    assert.throws(() => buildParser(def, { rename: { a: '1x' } }), /rename\.a/);
    assert.throws(() => buildParser(def, { add: { a: 'x{{app}}' } }), /add\.a: bad template at byte 1/);
  });

  it('renders templates', () => {
    const t = compileTemplate('a{{.x}}b{{.y}}', 'w');
    assert.equal(renderTemplate(t, { y: 'L' }, { x: 'F' }), 'aFbL');
    assert.equal(renderTemplate(compileTemplate('plain', 'w'), {}, undefined), 'plain');
  });
});
