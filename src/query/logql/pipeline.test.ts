import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogSelectorExpr } from './ast.js';
import { LogQLParseError } from './errors.js';
import { parseLogQL, parsePipelineStages } from './parser.js';
import { compilePipeline, pushdownLineFilters } from './pipeline.js';

const T = 1_700_000_000_123_456;
const base = { app: 'api', level: 'stream' };
/** Runs `pipeline` (text after a selector) over one line of the `{app="api", level="stream"}` stream. */
const run = (pipeline: string, line: string, labels: Record<string, string> = base): { line: string; labels: Record<string, string> } | null =>
  compilePipeline((parseLogQL(`{app="api"} ${pipeline}`) as LogSelectorExpr).stages)(labels, line, T);

describe('line filters', () => {
  it('contains, not contains, regex, or, pattern and ip', () => {
    assert.ok(run('|= "boom"', 'a boom b'));
    assert.equal(run('|= "boom" != "a "', 'a boom b'), null);
    assert.ok(run('|~ "(?i)BOOM"', 'a boom b'));
    assert.equal(run('!~ "b.o"', 'a boom b'), null);
    assert.ok(run('|= "x" or "boom"', 'a boom b'));
    assert.equal(run('!= "x" or "boom"', 'a boom b'), null);
    assert.ok(run('|> "<_> boom <_>"', 'a boom b'));
    assert.equal(run('|> "boom <_>"', 'a boom b'), null);
    assert.ok(run('|= ip("10.0.0.0/8")', 'from 10.1.2.3:80 ok'));
    assert.equal(run('|= ip("10.0.0.0/8")', 'from 11.1.2.3 ok'), null);
    assert.ok(run('!= ip("192.168.0.1-192.168.0.9")', 'from 192.168.0.10'));
  });

  it('pushes down only the filters before the first other stage, or-filters as one regex', () => {
    const e = parseLogQL('{a="b"} |= "x" or "y.z" != "n" |~ "r" | json |= "late"') as LogSelectorExpr;
    assert.deepEqual(pushdownLineFilters(e), [
      { op: '|~', value: 'x|y\\.z' },
      { op: '!=', value: 'n' },
      { op: '|~', value: 'r' },
    ]);
  });
});

describe('parsers', () => {
  it('json flattens nested objects, skips arrays, suffixes clashing names, sanitizes keys', () => {
    const r = run('| json', '{"level":"error","n":1.5,"ok":true,"user":{"id":"u1","geo":{"cc":"fr"}},"tags":["a"],"a-b":"c","nil":null}');
    assert.deepEqual(r?.labels, { app: 'api', level: 'stream', level_extracted: 'error', n: '1.5', ok: 'true', user_id: 'u1', user_geo_cc: 'fr', a_b: 'c' });
  });

  it('json keeps numbers as written (big ids, 1.0), unescapes strings, reports the offset of a syntax error', () => {
    const r = run('| json', '{"id":12345678901234567890,"f":1.0,"e":-2e3,"s":"a\\"b\\u00e9","arr":[{"x":1}],"o":{"in":[1,2],"k":"v"}}');
    assert.deepEqual(r?.labels, { ...base, id: '12345678901234567890', f: '1.0', e: '-2e3', s: 'a"bé', o_k: 'v' });
    const bad = run('| json', '{"a":1,"b":}');
    assert.equal(bad?.labels.__error__, 'JSONParserErr');
    assert.match(bad?.labels.__error_details__ ?? '', /offset 11/);
  });

  it('json with parameters extracts paths, missing paths give no label', () => {
    const r = run('| json id="user.id", first="tags[0]", k="m[\\"x y\\"]", gone="no.such"', '{"user":{"id":"u1"},"tags":["a","b"],"m":{"x y":2}}');
    assert.deepEqual(r?.labels, { ...base, id: 'u1', first: 'a', k: '2' });
  });

  it('json on a non-JSON line sets JSONParserErr and keeps the line', () => {
    const r = run('| json', 'plain text');
    assert.equal(r?.labels.__error__, 'JSONParserErr');
    assert.ok(r?.labels.__error_details__);
    assert.equal(r?.line, 'plain text');
    assert.deepEqual(run('| json | __error__=""', 'plain text'), null);
    assert.deepEqual(run('| json | drop __error__, __error_details__', 'plain text')?.labels, base);
    assert.deepEqual(run('| json | keep app', 'plain text')?.labels.__error__, 'JSONParserErr');
  });

  it('logfmt: quoted values, bare keys, --keep-empty, --strict, parameters', () => {
    assert.deepEqual(run('| logfmt', 'a=1 b="x y\\"z" c= flag level=warn')?.labels, { ...base, a: '1', b: 'x y"z', level_extracted: 'warn' });
    assert.deepEqual(run('| logfmt --keep-empty', 'a=1 flag')?.labels, { ...base, a: '1' }); // empty values never show as labels
    assert.deepEqual(run('| logfmt', 'a=1 =bad b=2')?.labels, { ...base, a: '1', b: '2' });
    assert.equal(run('| logfmt --strict', 'a=1 =bad b=2')?.labels.__error__, 'LogfmtParserErr');
    assert.deepEqual(run('| logfmt x="a", b', 'a=1 b=2 c=3')?.labels, { ...base, x: '1', b: '2' });
  });

  it('regexp and pattern extract named captures; no match adds nothing', () => {
    assert.deepEqual(run('| regexp "(?P<method>\\\\w+) (?P<path>\\\\S+)"', 'GET /x HTTP/1.1')?.labels, { ...base, method: 'GET', path: '/x' });
    assert.deepEqual(run('| regexp "(?P<n>\\\\d+)"', 'no digits')?.labels, base);
    assert.deepEqual(run('| pattern "<ip> - - [<_>] \\"<method> <uri> <_>\\" <status>"', '1.2.3.4 - - [date] "GET /a HTTP/1.1" 200 15')?.labels, {
      ...base, ip: '1.2.3.4', method: 'GET', uri: '/a', status: '200 15',
    });
    assert.deepEqual(run('| pattern "<a> x <b>"', 'nothing')?.labels, base);
  });

  it('unpack turns _entry into the line and string keys into labels', () => {
    assert.deepEqual(run('| unpack', '{"_entry":"the line","pod":"p1","n":2}'), { line: 'the line', labels: { ...base, pod: 'p1' } });
  });
});

describe('label filters', () => {
  const line = 'status=503 latency=1.5s size=2KiB name=web';
  it('numeric, duration and bytes comparisons', () => {
    assert.ok(run('| logfmt | status >= 500', line));
    assert.equal(run('| logfmt | status < 500', line), null);
    assert.ok(run('| logfmt | latency > 250ms', line));
    assert.equal(run('| logfmt | latency > 2s', line), null);
    assert.ok(run('| logfmt | size == 2048', line));
    assert.ok(run('| logfmt | size > 2KB', line));
    assert.equal(run('| logfmt | size > 3KB', line), null);
    assert.equal(run('| logfmt | missing > 1', line), null);
  });

  it('and / or / parentheses', () => {
    assert.ok(run('| logfmt | name="x" or status=503', line));
    assert.equal(run('| logfmt | name="x" and status=503', line), null);
    assert.ok(run('| logfmt | (name="x" or name="web"), status > 500', line));
  });

  it('a value that does not convert sets LabelFilterErr and keeps the entry', () => {
    const r = run('| logfmt | name > 1', line);
    assert.equal(r?.labels.__error__, 'LabelFilterErr');
    assert.equal(run('| logfmt | name > 1 | __error__ = ""', line), null);
    // entries already in error pass numeric filters
    assert.equal(run('| json | status > 1000', 'not json')?.labels.__error__, 'JSONParserErr');
  });
});

describe('formatting stages', () => {
  it('line_format with fields, pipes, functions, conditionals and __line__/__timestamp__', () => {
    const l = 'lvl=warn msg="disk almost full" used=93';
    assert.equal(run('| logfmt | line_format "{{.lvl | upper}}: {{.msg}}"', l)?.line, 'WARN: disk almost full');
    assert.equal(run('| logfmt | line_format "{{ if eq .lvl \\"warn\\" }}W{{ else if .x }}X{{ else }}-{{ end }}"', l)?.line, 'W');
    assert.equal(run('| logfmt | line_format "{{ if .nope }}yes{{ else }}no{{ end }}"', l)?.line, 'no');
    assert.equal(run('| logfmt | line_format "{{ printf \\"%s=%03d\\" .lvl (add .used 1) }}"', l)?.line, 'warn=094');
    assert.equal(run('| logfmt | line_format "{{ div .used 10 }} {{ mul 2 3 }} {{ sub 5 7 }} {{ .used | len }}"', l)?.line, '9 6 -2 2');
    assert.equal(run('| logfmt | line_format "{{ .msg | replace \\"full\\" \\"empty\\" | title }}"', l)?.line, 'Disk Almost Empty');
    assert.equal(run('| logfmt | line_format "{{ regexReplaceAll \\"(\\\\\\\\w+) .*\\" .msg \\"${1}!\\" }}"', l)?.line, 'disk!');
    assert.equal(run('| logfmt | line_format "{{ .none | default \\"n/a\\" }} {{ ToUpper .lvl }} {{ trimPrefix \\"di\\" .msg }} {{ trimSuffix \\"full\\" .msg | trim }}"', l)?.line, 'n/a WARN sk almost full disk almost');
    assert.equal(run('| line_format "[{{ __line__ }}] {{ __timestamp__ | date \\"2006-01-02T15:04:05.000Z07:00\\" }} {{ unixEpoch __timestamp__ }}"', 'x')?.line, '[x] 2023-11-14T22:13:20.123Z 1700000000');
    assert.equal(run('| line_format "{{- .app -}}  |  {{ .level }}"', 'x')?.line, 'api|  stream');
  });

  it('a template error sets TemplateFormatErr; a bad template is refused when compiling', () => {
    assert.equal(run('| line_format "{{ div 1 0 }}"', 'x')?.labels.__error__, 'TemplateFormatErr');
    assert.throws(() => run('| line_format "{{ nosuchfn .a }}"', 'x'), /function "nosuchfn" not defined/);
    assert.throws(() => run('| line_format "{{ if .a }}x"', 'x'), /missing \{\{end\}\}/);
  });

  it('label_format renames in order, templates see the labels at the first template (as Loki)', () => {
    assert.deepEqual(run('| logfmt | label_format lvl=level, app="{{.app}}-{{.level}}"', 'level=warn')?.labels, { app: 'api-', level_extracted: 'warn', lvl: 'stream' });
    assert.deepEqual(run('| logfmt | label_format app="{{.app}}-{{.level}}", lvl=level', 'level=warn')?.labels, { app: 'api-stream', level_extracted: 'warn', lvl: 'stream' });
    assert.deepEqual(run('| label_format x=nope', 'x')?.labels, base);
    assert.deepEqual(run('| label_format dst=app', 'x')?.labels, { dst: 'api', level: 'stream' });
  });

  it('drop and keep, with matchers', () => {
    assert.deepEqual(run('| logfmt | drop a, b="2", c="no"', 'a=1 b=2 c=3')?.labels, { ...base, c: '3' });
    assert.deepEqual(run('| logfmt | keep app, b, c="3"', 'a=1 b=2 c=3')?.labels, { app: 'api', b: '2', c: '3' });
    assert.deepEqual(run('| logfmt | keep c="4"', 'a=1 b=2 c=3')?.labels, {});
  });

  it('decolorize strips ANSI sequences', () => {
    assert.equal(run('| decolorize', '\u001b[31mERROR\u001b[0m x \u001b[1;32mok\u001b[0m')?.line, 'ERROR x ok');
  });
});

describe('batches', () => {
  it('groups a stream batch by resulting labels, keeping order, without allocating labels for filter-only pipelines', () => {
    const p = compilePipeline((parseLogQL('{a="b"} != "skip" | logfmt | drop n') as LogSelectorExpr).stages);
    const groups = p.batch({ a: 'b' }, '{a="b"}', [1, 2, 3, 4], ['lvl=x n=1', 'skip', 'lvl=y', 'lvl=x n=2']);
    assert.deepEqual(groups, [
      { labels: { a: 'b', lvl: 'x' }, key: '{a="b", lvl="x"}', ts: [1, 4], lines: ['lvl=x n=1', 'lvl=x n=2'] },
      { labels: { a: 'b', lvl: 'y' }, key: '{a="b", lvl="y"}', ts: [3], lines: ['lvl=y'] },
    ]);
    const f = compilePipeline((parseLogQL('{a="b"} |= "x"') as LogSelectorExpr).stages);
    assert.equal(f.keepsLabels, true);
    const g = f.batch({ a: 'b' }, 'K', [1, 2], ['x', 'y']);
    assert.deepEqual(g, [{ labels: { a: 'b' }, key: 'K', ts: [1], lines: ['x'] }]);
  });
});

describe('parsePipelineStages (for agent transforms)', () => {
  it('parses stages alone and reports positions within the pipeline text', () => {
    const p = compilePipeline(parsePipelineStages('|= "err" | logfmt | level="error"'));
    assert.deepEqual(p({ app: 'a' }, 'level=error msg=err', 1), { line: 'level=error msg=err', labels: { app: 'a', level: 'error', msg: 'err' } });
    assert.equal(p({ app: 'a' }, 'level=info msg=err', 1), null);
    assert.throws(() => parsePipelineStages('| json | x = '), (e: unknown) => e instanceof LogQLParseError && e.position === 13 && /at 1:14/.test(e.message));
  });
});
