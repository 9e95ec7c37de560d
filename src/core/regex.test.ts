import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compileMatcher } from './labels.js';
import { anchoredGoRegExp, goRegExp } from './regex.js';

it('translates RE2 named groups and inline flags', () => {
  assert.equal(goRegExp('(?P<status>\\d{3})').exec('code 503')?.groups?.['status'], '503');
  assert.ok(goRegExp('(?i)timeout').test('Upstream TIMEOUT'));
  assert.throws(() => goRegExp('(unclosed'), SyntaxError);
});

it('anchors label matchers fully, keeping inline flags', () => {
  assert.ok(anchoredGoRegExp('api|web').test('web'));
  assert.ok(!anchoredGoRegExp('api|web').test('webapp'));
  assert.ok(anchoredGoRegExp('(?i)api').test('API'));
  assert.ok(compileMatcher({ name: 'app', op: '=~', value: '(?i)api.*' })('Api-Gateway'));
  assert.ok(compileMatcher({ name: 'app', op: '!~', value: 'api' })(undefined));
});
