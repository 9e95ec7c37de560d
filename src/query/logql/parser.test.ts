import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogSelectorExpr, RangeAggregationExpr, SampleExpr } from './ast.js';
import { formatQueryError, LogQLParseError } from './errors.js';
import { parseLogQL } from './parser.js';

const sel = (q: string): LogSelectorExpr => {
  const e = parseLogQL(q);
  assert.equal(e.kind, 'log');
  return e as LogSelectorExpr;
};
const stages = (pipeline: string): LogSelectorExpr['stages'] => sel(`{app="x"} ${pipeline}`).stages;
const fails = (q: string): LogQLParseError => {
  try {
    parseLogQL(q);
  } catch (e) {
    assert.ok(e instanceof LogQLParseError, `expected LogQLParseError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${q} to fail`);
};

describe('parseLogQL: log selectors and stages', () => {
  it('parses every matcher operator', () => {
    assert.deepEqual(sel('{a="1", b!="2", c=~"3.*", d!~`4\\d`}').matchers, [
      { name: 'a', op: '=', value: '1' },
      { name: 'b', op: '!=', value: '2' },
      { name: 'c', op: '=~', value: '3.*' },
      { name: 'd', op: '!~', value: '4\\d' },
    ]);
  });

  it('unquotes Go escapes in strings', () => {
    assert.deepEqual(sel('{a="x\\"y\\n\\u00e9"}').matchers[0], { name: 'a', op: '=', value: 'x"y\né' });
  });

  it('parses chained line filters, or-filters, ip() and pattern filters', () => {
    assert.deepEqual(stages('|= "a" != "b" |~ "c" !~ "d" |= "e" or "f" |= ip("10.0.0.0/8") |> "<_> x" !> "y"'), [
      { kind: 'lineFilter', op: '|=', values: ['a'] },
      { kind: 'lineFilter', op: '!=', values: ['b'] },
      { kind: 'lineFilter', op: '|~', values: ['c'] },
      { kind: 'lineFilter', op: '!~', values: ['d'] },
      { kind: 'lineFilter', op: '|=', values: ['e', 'f'] },
      { kind: 'lineFilter', op: '|=', values: ['10.0.0.0/8'], ip: true },
      { kind: 'lineFilter', op: '|>', values: ['<_> x'] },
      { kind: 'lineFilter', op: '!>', values: ['y'] },
    ]);
  });

  it('parses parsers with their parameters and flags', () => {
    assert.deepEqual(stages('| json | json a="b.c", d | logfmt | logfmt --strict --keep-empty x, y="z" | regexp "(?P<n>\\\\w+)" | pattern "<ip> - <_>" | unpack'), [
      { kind: 'json' },
      { kind: 'json', params: [{ label: 'a', path: 'b.c' }, { label: 'd', path: 'd' }] },
      { kind: 'logfmt', strict: false, keepEmpty: false },
      { kind: 'logfmt', strict: true, keepEmpty: true, params: [{ label: 'x', path: 'x' }, { label: 'y', path: 'z' }] },
      { kind: 'regexp', pattern: '(?P<n>\\w+)' },
      { kind: 'pattern', pattern: '<ip> - <_>' },
      { kind: 'unpack' },
    ]);
  });

  it('parses label filters with and/or/comma/parentheses and units', () => {
    const [st] = stages('| level="error" or status >= 500 and (latency > 250ms, size <= 20KB) | ip=ip("1.2.3.4")');
    assert.deepEqual(st, {
      kind: 'labelFilter',
      filter: {
        type: 'or',
        left: { type: 'string', matcher: { name: 'level', op: '=', value: 'error' } },
        right: {
          type: 'and',
          left: { type: 'number', name: 'status', op: '>=', value: 500 },
          right: {
            type: 'and',
            left: { type: 'duration', name: 'latency', op: '>', value: 250_000 },
            right: { type: 'bytes', name: 'size', op: '<=', value: 20_000 },
          },
        },
      },
    });
    // `and` binds tighter than `or` whatever the grammar's tree shape
    const [st2] = stages('| a="1" and b="2" or c="3"');
    assert.equal(st2?.kind === 'labelFilter' && st2.filter.type, 'or');
    assert.deepEqual(stages('| x == 3 | y != -1.5')[1], { kind: 'labelFilter', filter: { type: 'number', name: 'y', op: '!=', value: -1.5 } });
  });

  it('parses formatting, drop, keep and decolorize', () => {
    assert.deepEqual(stages('| line_format "{{.a}}" | label_format a=b, c="{{.d}}" | drop a, b="v" | keep c, d=~"x" | decolorize'), [
      { kind: 'lineFormat', template: '{{.a}}' },
      { kind: 'labelFormat', items: [{ dst: 'a', src: 'b' }, { dst: 'c', template: '{{.d}}' }] },
      { kind: 'drop', items: [{ name: 'a' }, { name: 'b', matcher: { name: 'b', op: '=', value: 'v' } }] },
      { kind: 'keep', items: [{ name: 'c' }, { name: 'd', matcher: { name: 'd', op: '=~', value: 'x' } }] },
      { kind: 'decolorize' },
    ]);
  });
});

describe('parseLogQL: metric queries', () => {
  it('parses range aggregations with unwrap, post filters, offset and grouping', () => {
    const e = parseLogQL('quantile_over_time(0.99, {app="x"} |= "a" | json | unwrap duration(latency) | __error__="" [5m]) by (path)') as RangeAggregationExpr;
    assert.deepEqual(e, {
      kind: 'range',
      op: 'quantile_over_time',
      param: 0.99,
      selector: { kind: 'log', matchers: [{ name: 'app', op: '=', value: 'x' }], stages: [{ kind: 'lineFilter', op: '|=', values: ['a'] }, { kind: 'json' }] },
      range: 300_000_000,
      offset: 0,
      unwrap: { label: 'latency', conv: 'duration', postFilters: [{ type: 'string', matcher: { name: '__error__', op: '=', value: '' } }] },
      grouping: { without: false, labels: ['path'] },
    });
    const o = parseLogQL('count_over_time({app="x"}[1m] offset 5m)') as RangeAggregationExpr;
    assert.equal(o.offset, 300_000_000);
    assert.equal(o.range, 60_000_000);
    // the 0.3.0 grammar lacks `offset` after a pipeline with unwrap; Loki accepts it, so do we
    const u = parseLogQL('sum_over_time({app="x"} | json | unwrap n | __error__="" [1m] offset 2m)') as RangeAggregationExpr;
    assert.deepEqual([u.offset, u.range, u.unwrap?.postFilters.length], [120_000_000, 60_000_000, 1]);
    assert.match(fails('sum_over_time({app="x"} | json | unwrap n [1m] offset)').message, /parse error/);
    const b = parseLogQL('sum_over_time({app="x"} | logfmt | unwrap bytes(size) [1m])') as RangeAggregationExpr;
    assert.deepEqual(b.unwrap, { label: 'size', conv: 'bytes', postFilters: [] });
    const p = parseLogQL('count_over_time(({app="x"} |= "y")[1m])') as RangeAggregationExpr;
    assert.deepEqual(p.selector.stages, [{ kind: 'lineFilter', op: '|=', values: ['y'] }]);
  });

  it('parses vector aggregations, topk, by/without before or after', () => {
    assert.deepEqual(parseLogQL('topk(3, sum without (a, b) (rate({app="x"}[1m])))'), {
      kind: 'vectorAgg',
      op: 'topk',
      param: 3,
      expr: {
        kind: 'vectorAgg', op: 'sum', grouping: { without: true, labels: ['a', 'b'] },
        expr: { kind: 'range', op: 'rate', selector: { kind: 'log', matchers: [{ name: 'app', op: '=', value: 'x' }], stages: [] }, range: 60e6, offset: 0 },
      },
    });
    const after = parseLogQL('sum(rate({app="x"}[1m])) by (host)') as SampleExpr;
    assert.deepEqual(after.kind === 'vectorAgg' && after.grouping, { without: false, labels: ['host'] });
  });

  it('rebuilds binary operator precedence and modifiers', () => {
    const lit = (v: number): SampleExpr => ({ kind: 'literal', value: v });
    assert.deepEqual(parseLogQL('1 * 2 + 3'), { kind: 'binary', op: '+', bool: false, left: { kind: 'binary', op: '*', bool: false, left: lit(1), right: lit(2) }, right: lit(3) });
    assert.deepEqual(parseLogQL('2 ^ 3 ^ 2'), { kind: 'binary', op: '^', bool: false, left: lit(2), right: { kind: 'binary', op: '^', bool: false, left: lit(3), right: lit(2) } });
    assert.deepEqual(parseLogQL('(1 + 2) * 3'), { kind: 'binary', op: '*', bool: false, left: { kind: 'binary', op: '+', bool: false, left: lit(1), right: lit(2) }, right: lit(3) });
    assert.deepEqual(parseLogQL('1 - 2 - 3'), { kind: 'binary', op: '-', bool: false, left: { kind: 'binary', op: '-', bool: false, left: lit(1), right: lit(2) }, right: lit(3) });
    const m = parseLogQL('sum(rate({a="b"}[1m])) / on (x) sum(rate({a="c"}[1m])) > bool 2') as SampleExpr;
    assert.equal(m.kind === 'binary' && m.op, '>');
    assert.equal(m.kind === 'binary' && m.bool, true);
    assert.deepEqual(m.kind === 'binary' && m.left.kind === 'binary' && m.left.matching, { on: true, labels: ['x'] });
    const g = parseLogQL('sum(rate({a="b"}[1m])) by (x) * on (x) group_left (y, z) sum(rate({a="c"}[1m])) by (x, y, z)') as SampleExpr;
    assert.deepEqual(g.kind === 'binary' && g.matching, { on: true, labels: ['x'], group: { side: 'left', include: ['y', 'z'] } });
    const r = parseLogQL('vector(1) / ignoring (a) group_right vector(2)') as SampleExpr;
    assert.deepEqual(r.kind === 'binary' && r.matching, { on: false, labels: ['a'], group: { side: 'right', include: [] } });
    assert.match(fails('vector(1) and on (a) group_left vector(2)').message, /no grouping allowed for "and"/);
    assert.deepEqual(parseLogQL('vector(1) + -2'), { kind: 'binary', op: '+', bool: false, left: { kind: 'vector', value: 1 }, right: lit(-2) });
  });

  it('parses label_replace', () => {
    const e = parseLogQL('label_replace(rate({a="b"}[1m]), "dst", "$1", "src", "(.*)")');
    assert.equal(e.kind, 'labelReplace');
    assert.deepEqual(e.kind === 'labelReplace' && [e.dst, e.replacement, e.src, e.regex], ['dst', '$1', 'src', '(.*)']);
  });
});

describe('parseLogQL: errors', () => {
  it('reports a missing range with its position and a caret', () => {
    const q = 'sum(rate({app="api"} |= "x"))';
    const e = fails(q);
    assert.equal(e.code, 'BAD_QUERY');
    assert.equal(e.position, 27);
    assert.equal(e.line, 1);
    assert.equal(e.column, 28);
    assert.match(e.message, /expected a duration like \[5m\] after the log selector/);
    assert.match(e.message, /at 1:28/);
    assert.equal(formatQueryError(q, e).split('\n')[1], `${' '.repeat(27)}^`);
  });

  it('reports a matcher without a value', () => {
    const e = fails('{app=}');
    assert.equal(e.position, 5);
    assert.match(e.message, /expected a quoted value after "="/);
    assert.match(e.message, /found "}"/);
  });

  it('reports line and column on multi-line queries', () => {
    const e = fails('{app="x"}\n  | json\n  | foo bar');
    assert.equal(e.line, 3);
    assert.ok(e.column >= 5);
  });

  it('names unterminated strings, unclosed brackets, unknown functions and misplaced ranges/unwraps', () => {
    assert.deepEqual([fails('{app="x}').position, fails('{app="x}').message], [5, 'parse error at 1:6: unterminated string starting at 1:6']);
    assert.match(fails('sum(rate({a="b"}[5m])').message, /at 1:4: "\(" is never closed: expected "\)"/);
    assert.match(fails('foo({a="b"}[1m])').message, /unknown function "foo"/);
    assert.match(fails('rate({a="b"}[5x])').message, /at 1:14: invalid duration "5x"/);
    assert.match(fails('{a="b"}[5m]').message, /must be inside a range aggregation/);
    assert.match(fails('{a="b"} | unwrap x').message, /only works inside a range aggregation/);
    assert.match(fails('{a="b"} |= ').message, /expected a quoted string after the line filter, found the end of the query/);
  });

  it('checks templates and ip patterns while parsing, pointing at the string', () => {
    const e = fails('{a="b"} | line_format "{{.a"');
    assert.equal(e.position, 22);
    assert.match(e.message, /line_format: invalid template "\{\{\.a": unclosed action/);
    assert.match(fails('{a="b"} | label_format x="{{ nofn .a }}"').message, /function "nofn" not defined/);
    assert.match(fails('{a="b"} |= ip("300.1.1.1")').message, /invalid ip pattern/);
    const j = fails('{a="b"} | json x="a[b"');
    assert.equal(j.position, 17);
    assert.match(j.message, /json: invalid path "a\[b" for label x at offset 1/);
  });

  it('refuses selectors that match everything, bad regexes, bad params and empty queries', () => {
    assert.match(fails('{app=~".*"}').message, /at least one regexp or equality matcher/);
    assert.match(fails('{app=~"("}').message, /invalid regular expression/);
    assert.match(fails('topk(0, rate({a="b"}[1m]))').message, /k must be a positive integer/);
    assert.match(fails('sum_over_time({a="b"}[1m])').message, /needs an unwrapped label/);
    assert.match(fails('count_over_time({a="b"} | unwrap x [1m])').message, /cannot be used with unwrap/);
    assert.match(fails('   ').message, /empty query/);
    assert.match(fails('1 > 2').message, /bool modifier/);
    assert.match(fails('{a="b"} | regexp "nothing named"').message, /named capture/);
  });
});
