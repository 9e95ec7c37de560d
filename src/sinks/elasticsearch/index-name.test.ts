import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patternOf, resolveBulkConfig } from './config.js';
import { parseIndexTemplate, sanitizeIndexName } from './index-name.js';

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('index name templates', () => {
  it('renders strftime parts from the entry time in UTC, labels and fields', () => {
    const t = parseIndexTemplate('logs-{{ labels.service }}-{{fields.tenant}}-%Y.%m.%d-%H-%j-%y-%G.%V-100%%');
    assert.equal(t.perEntry, true);
    assert.equal(t.render(us('2027-01-01T23:59:59.999Z') + 999, { service: 'API' }, { tenant: 't1' }), 'logs-API-t1-2027.01.01-23-001-27-2026.53-100%');
    assert.equal(t.render(us('2026-03-09T00:00:00Z'), {}, undefined), 'logs---2026.03.09-00-068-26-2026.11-100%');
  });

  it('the hour cache never leaks a date across hours or specs', () => {
    const t = parseIndexTemplate('%Y.%m.%d %H');
    assert.equal(t.render(us('2026-11-27T10:59:59Z'), {}, undefined), '2026.11.27 10');
    assert.equal(t.render(us('2026-11-27T11:00:00Z'), {}, undefined), '2026.11.27 11');
    assert.equal(t.render(us('2026-11-27T10:30:00Z'), {}, undefined), '2026.11.27 10');
  });

  it('a template without dates or fields is per stream', () => {
    const t = parseIndexTemplate('app-{{ labels.env }}');
    assert.equal(t.perEntry, false);
    assert.equal(t.render(0, { env: 'prod' }, undefined), 'app-prod');
  });

  it('refuses bad specifiers and substitutions, naming the offset', () => {
    assert.throws(() => parseIndexTemplate('x-%Q'), /unknown date specifier %Q at offset 2/);
    assert.throws(() => parseIndexTemplate('x-{{ labels.a '), /unterminated \{\{ at offset 2/);
    assert.throws(() => parseIndexTemplate('x-{{ env.HOME }}'), /bad substitution \{\{ env.HOME \}\} at offset 2/);
  });

  it('sanitizes to ES index rules', () => {
    assert.equal(sanitizeIndexName('Logs-My App/X*?"<>|,#:1'), 'logs-my_app_x_________1');
    assert.equal(sanitizeIndexName('_-+abc'), 'abc');
    assert.equal(sanitizeIndexName('..'), undefined);
    assert.equal(sanitizeIndexName('___'), undefined);
    assert.equal(sanitizeIndexName('é'.repeat(200))?.length, 127);
  });

  it('resolves modes, actions and id defaults; refuses combinations that cannot work', () => {
    const b = resolveBulkConfig({ url: 'http://x' }, 'es');
    assert.deepEqual([b.mode, b.action, b.deterministicIds, b.pattern], ['bulk', 'index', false, 'vigil-*.*.*']);
    const c = resolveBulkConfig({ url: 'http://x', action: 'create' }, 'es');
    assert.equal(c.deterministicIds, true);
    const ds = resolveBulkConfig({ url: 'http://x', mode: 'data_stream', data_stream: { dataset: 'my-app', namespace: '{{ labels.env }}' } }, 'es');
    assert.deepEqual([ds.action, ds.deterministicIds, ds.pattern], ['create', true, 'logs-my_app-*']);
    assert.equal(ds.target.render(0, { env: 'pre-prod' }, undefined), 'logs-my_app-pre_prod');
    assert.throws(() => resolveBulkConfig({ url: 'http://x', mode: 'data_stream', action: 'index' }, 'es'), /sinks\.es\.action: data streams accept only `create`/);
    assert.throws(() => resolveBulkConfig({ url: 'http://x', index: 'a-%x' }, 'es'), /sinks\.es\.index: unknown date specifier %x/);
    assert.throws(() => resolveBulkConfig({ url: 'http://x', data_stream: {} }, 'es'), /sinks\.es\.data_stream: only used with mode: data_stream/);
    assert.equal(patternOf('logs-{{ labels.service }}-%Y.%m.%d'), 'logs-*-*.*.*');
  });
});
