import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePromQL, PromQLParseError } from './parser.js';
import { re2ToJs } from '../../core/re2.js';
import { anchoredRegex } from './labels.js';
import type { Expr } from './ast.js';

function parseErr(q: string): PromQLParseError {
  try {
    parsePromQL(q);
  } catch (err) {
    assert.ok(err instanceof PromQLParseError, `expected PromQLParseError for ${q}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${q} to fail`);
}

test('selector with all matcher types and metric name', () => {
  const e = parsePromQL('foo{a="b", c!="d", e=~"f.*", g!~"h"}');
  assert.equal(e.type, 'VectorSelector');
  if (e.type !== 'VectorSelector') return;
  assert.equal(e.name, 'foo');
  assert.deepEqual(e.matchers, [
    { name: '__name__', op: '=', value: 'foo' },
    { name: 'a', op: '=', value: 'b' },
    { name: 'c', op: '!=', value: 'd' },
    { name: 'e', op: '=~', value: 'f.*' },
    { name: 'g', op: '!~', value: 'h' },
  ]);
});

test('quoted metric name and quoted label names (UTF-8 syntax)', () => {
  const e = parsePromQL('{"my.metric", "a.b"="1"}');
  assert.ok(e.type === 'VectorSelector');
  assert.equal(e.name, 'my.metric');
  assert.deepEqual(e.matchers[1], { name: 'a.b', op: '=', value: '1' });
});

test('matrix selector, offset and @ land on the selector', () => {
  const e = parsePromQL('rate(foo[5m] offset 1m @ 100)');
  assert.ok(e.type === 'Call' && e.func === 'rate');
  const m = e.args[0] as Expr;
  assert.ok(m.type === 'MatrixSelector');
  assert.equal(m.rangeMs, 300_000);
  assert.equal(m.selector.offset, 60_000);
  assert.deepEqual(m.selector.at, { kind: 'time', ms: 100_000 });
});

test('offset binds to the nearest selector, not the whole binary expression', () => {
  const e = parsePromQL('a offset 15m or b offset 45m');
  assert.ok(e.type === 'BinaryExpr' && e.op === 'or');
  assert.ok(e.lhs.type === 'VectorSelector' && e.rhs.type === 'VectorSelector');
  assert.equal(e.lhs.offset, 900_000);
  assert.equal(e.rhs.offset, 2_700_000);
});

test('subquery with default step and @ end()', () => {
  const e = parsePromQL('max_over_time(rate(x[1m])[10m:] @ end())');
  assert.ok(e.type === 'Call');
  const sq = e.args[0] as Expr;
  assert.ok(sq.type === 'SubqueryExpr');
  assert.equal(sq.rangeMs, 600_000);
  assert.equal(sq.stepMs, 0);
  assert.deepEqual(sq.at, { kind: 'end' });
});

test('aggregation with by before or after the body, and binary matching', () => {
  for (const q of ['sum by (a, b) (x)', 'sum(x) by (a, b)']) {
    const e = parsePromQL(q);
    assert.ok(e.type === 'AggregateExpr');
    assert.deepEqual(e.grouping, ['a', 'b']);
    assert.equal(e.without, false);
  }
  const b = parsePromQL('x / on(a) group_left(c) y');
  assert.ok(b.type === 'BinaryExpr');
  assert.deepEqual(b.matching, { card: 'many-to-one', on: true, labels: ['a'], include: ['c'] });
  const s = parsePromQL('x and y');
  assert.ok(s.type === 'BinaryExpr');
  assert.equal(s.matching?.card, 'many-to-many');
});

test('unary minus binds looser than ^, literals with trailing dots, hex, durations as numbers', () => {
  const e = parsePromQL('-2^2');
  assert.ok(e.type === 'UnaryExpr' && e.op === '-');
  assert.ok(e.expr.type === 'BinaryExpr' && e.expr.op === '^');
  const d = parsePromQL('1./6.');
  assert.ok(d.type === 'BinaryExpr' && d.lhs.type === 'NumberLiteral' && d.rhs.type === 'NumberLiteral');
  assert.equal(d.lhs.value, 1);
  assert.equal(d.rhs.value, 6);
  const h = parsePromQL('0x1F');
  assert.ok(h.type === 'NumberLiteral' && h.value === 31);
  const m = parsePromQL('predict_linear(x[1h], 5m)');
  assert.ok(m.type === 'Call' && m.args[1]?.type === 'NumberLiteral' && m.args[1].value === 300);
});

test('string escapes follow Go rules', () => {
  const e = parsePromQL('label_replace(x, "a", "\\u00e9\\t", "b", `\\d+`)');
  assert.ok(e.type === 'Call');
  const [, , repl, , re] = e.args;
  assert.ok(repl?.type === 'StringLiteral' && repl.value === 'é\t');
  assert.ok(re?.type === 'StringLiteral' && re.value === '\\d+');
});

test('errors carry line:col and Prometheus wording', () => {
  assert.match(parseErr('1 +').message, /^1:4: parse error: unexpected end of input/);
  assert.equal(parseErr('rate(foo)').message, '1:6: parse error: expected type range vector in call to function "rate", got instant vector');
  assert.equal(parseErr('unknown_fn(x)').message, '1:1: parse error: unknown function with name "unknown_fn"');
  assert.equal(parseErr('{}').message, '1:1: parse error: vector selector must contain at least one non-empty matcher');
  assert.equal(parseErr('1 > 2').message, '1:1: parse error: comparisons between scalars must use BOOL modifier');
  assert.match(parseErr('foo{a=~"("}').message, /^1:8: parse error: invalid regular expression in label matcher/);
  assert.equal(parseErr('label_replace(x, "a")').message, '1:1: parse error: expected 5 argument(s) in call to "label_replace", got 2');
  assert.match(parseErr('rate(x[5m]) offset 1m').message, /offset modifier must be preceded by/);
  const multi = parseErr('sum(\n  foo bar)');
  assert.match(multi.message, /^2:7: /);
  assert.equal(multi.pos.start, 11);
});

test('RE2 inline flags and classes translate to JS', () => {
  const check = (re: string, s: string): boolean => anchoredRegex(re).test(s);
  assert.equal(re2ToJs('(?i:ab)c'), '(?:[aA][bB])c');
  assert.ok(check('(?i:PRO).*', 'production'));
  assert.ok(!check('(?i:PRO)x', 'production'));
  assert.ok(check('(?i)abc[d-f]', 'ABCE'));
  assert.ok(check('[[:digit:]]+', '123'));
  assert.ok(check('a\\-b', 'a-b'));
  assert.ok(check('(?P<x>a)b', 'ab'));
});
