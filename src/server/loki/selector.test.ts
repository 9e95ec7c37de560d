import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSet, parseSelector, SelectorSyntaxError } from './selector.js';

describe('parseSelector', () => {
  it('reads all four operators, Go escapes and raw strings', () => {
    assert.deepEqual(parseSelector(' { app = "api", level=~`warn|error`, host!="a\\"b\\\\c\\n", x!~"\\u00e9\\x41\\101" , } '), [
      { name: 'app', op: '=', value: 'api' },
      { name: 'level', op: '=~', value: 'warn|error' },
      { name: 'host', op: '!=', value: 'a"b\\c\n' },
      { name: 'x', op: '!~', value: 'éAA' },
    ]);
    assert.deepEqual(parseSelector('{}'), []);
  });

  it('reports the column of the problem', () => {
    const cases: Array<[string, string]> = [
      ['app="x"', 'parse error at col 1: expected "{" to start a stream selector, found "a"'],
      ['{app="x"', 'parse error at col 9: expected "," or "}", found end of input'],
      ['{app=x}', 'parse error at col 6: expected a quoted string, found "x"'],
      ['{app=="x"}', 'parse error at col 6: expected a quoted string, found "="'],
      ['{1app="x"}', 'parse error at col 2: expected a label name, found "1"'],
      ['{app="x} ', 'parse error at col 10: unterminated string'],
      ['{app="\\q"}', 'parse error at col 7: unknown escape sequence \\q'],
      ['{app="x"} |= "y"', 'parse error at col 11: unexpected "|" after the selector'],
      ['{app=~"("}', 'parse error at col 10: invalid regular expression for app: Invalid regular expression: /^(?:()$/s: Unterminated group'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseSelector(text), (e: unknown) => e instanceof SelectorSyntaxError && e.message === message, text);
    }
  });
});

describe('parseLabelSet', () => {
  it('reads Prometheus label text and refuses non-equality and duplicates', () => {
    assert.deepEqual(parseLabelSet('{a="1", b="x\\"y"}'), { a: '1', b: 'x"y' });
    assert.throws(() => parseLabelSet('{a!="1"}'), /label a uses "!="/);
    assert.throws(() => parseLabelSet('{a="1", a="2"}'), /duplicate label name a/);
  });
});
