import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpositionParseError, formatOf, parseExposition, parseGoFloat } from './parse.js';

const TEXT = [
  '# HELP http_requests_total The total number of HTTP requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  '',
  '# Escaping in label values:',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  'metric_without_timestamp_and_labels 12.47',
  'something_weird{problem="division by zero"} +Inf -3982045',
  'nan_value NaN',
  'neg_inf{a="b",} -Inf',
  '# TYPE untyped_thing untyped',
  '# HELP help_escapes a \\\\ backslash\\nnewline',
  '',
].join('\n');

test('parses the Prometheus text format 0.0.4 example', () => {
  const p = parseExposition(TEXT, 'prometheus');
  assert.equal(p.count, 7);
  assert.deepEqual(p.labels[0], { __name__: 'http_requests_total', method: 'post', code: '200' });
  assert.equal(p.values[1], 3);
  assert.equal(p.timestamps[0], 1395066363000);
  assert.deepEqual(p.labels[2], { __name__: 'msdos_file_access_time_seconds', path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
  assert.equal(p.values[2], 1.458255915e9);
  assert.ok(Number.isNaN(p.timestamps[3]));
  assert.equal(p.values[4], Infinity);
  assert.equal(p.timestamps[4], -3982045);
  assert.ok(Number.isNaN(p.values[5]));
  assert.deepEqual(p.labels[6], { __name__: 'neg_inf', a: 'b' });
  assert.equal(p.values[6], -Infinity);
  assert.deepEqual(p.metadata.get('http_requests_total'), { type: 'counter', help: 'The total number of HTTP requests.', unit: '' });
  assert.equal(p.metadata.get('untyped_thing')?.type, 'unknown');
  assert.equal(p.metadata.get('help_escapes')?.help, 'a \\ backslash\nnewline');
});

test('reuses cached labels for unchanged series text', () => {
  const cache = new Map();
  const a = parseExposition('x{a="1"} 1\ny 2\n', 'prometheus', cache);
  const b = parseExposition('x{a="1"} 5\ny 6\n', 'prometheus', cache);
  assert.equal(a.labels[0], b.labels[0]);
  assert.equal(b.values[0], 5);
});

test('parses OpenMetrics 1.0 with units, _created, exemplars and float-second timestamps', () => {
  const om = [
    '# TYPE acme_http_router_request_seconds summary',
    '# UNIT acme_http_router_request_seconds seconds',
    '# HELP acme_http_router_request_seconds Latency though all of ACME\'s HTTP request router.',
    'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32',
    'acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0',
    'acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0',
    '# TYPE foo histogram',
    'foo_bucket{le="0.01"} 0',
    'foo_bucket{le="+Inf"} 17 # {trace_id="KOO5S4vxi0o"} 0.67',
    'foo_count 17 1520879607.789',
    '# EOF',
  ].join('\n');
  const p = parseExposition(om, 'openmetrics');
  assert.equal(p.count, 6);
  assert.deepEqual(p.metadata.get('acme_http_router_request_seconds'), { type: 'summary', unit: 'seconds', help: 'Latency though all of ACME\'s HTTP request router.' });
  assert.equal(p.labels[2]?.__name__, 'acme_http_router_request_seconds_created');
  assert.equal(p.values[4], 17);
  assert.equal(p.timestamps[5], 1520879607789);
});

test('malformed input fails the whole parse naming the line', () => {
  const bad: Array<[string, 'prometheus' | 'openmetrics', RegExp]> = [
    ['ok 1\nbroken{a="1" 2\n', 'prometheus', /^line 2: unterminated label set/],
    ['ok 1\nno_value\n', 'prometheus', /^line 2: expected a space and a value/],
    ['a 1\nb abc\n', 'prometheus', /^line 2: invalid value "abc"/],
    ['a 1 12.5\n', 'prometheus', /^line 1: invalid timestamp "12.5"/],
    ['a{b="1",b="2"} 1\n', 'prometheus', /^line 1: duplicate label name "b"/],
    ['a{1b="1"} 1\n', 'prometheus', /^line 1: invalid label name/],
    ['# TYPE a bogus\na 1\n', 'prometheus', /^line 1: invalid metric type "bogus"/],
    ['a 1 2 3\n', 'prometheus', /^line 1: unexpected "3"/],
    ['a 0x10\n', 'prometheus', /invalid value "0x10"/],
    ['a 1\n', 'openmetrics', /data does not end with # EOF/],
    ['a 1\n# EOF\nb 2\n', 'openmetrics', /^line 3: unexpected data after # EOF/],
    ['a 1\n\n# EOF', 'openmetrics', /^line 2: unexpected empty line/],
  ];
  for (const [body, fmt, re] of bad) {
    assert.throws(() => parseExposition(body, fmt), (e: unknown) => e instanceof ExpositionParseError && re.test(e.message), body);
  }
});

test('content negotiation and Go float syntax', () => {
  assert.equal(formatOf('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
  assert.equal(formatOf('text/plain; version=0.0.4'), 'prometheus');
  assert.equal(formatOf(undefined), 'prometheus');
  assert.equal(parseGoFloat('+inf'), Infinity);
  assert.equal(parseGoFloat('-Infinity'), -Infinity);
  assert.equal(parseGoFloat('1e3'), 1000);
  assert.equal(parseGoFloat(''), undefined);
  assert.equal(parseGoFloat('1_000'), undefined);
});
