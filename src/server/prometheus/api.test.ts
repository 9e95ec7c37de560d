import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promTestServer, type PromTestServer } from './testing.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
/** Sample times (ms) of the three captured remote write bodies. */
const T1 = 1795775183934;
const T2 = 1795775188934;
const T3 = 1795775193934;

interface Decoded {
  timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value?: number; timestamp: number }> }>;
}
/** The value capture `n` (1..3) carried for metric `name` (proto3 default 0 when absent), as Prometheus formats it. */
function captured(n: number, name: string): string {
  const d = JSON.parse(readFileSync(join(TESTDATA, `prom-remote-write-${n}.decoded.json`), 'utf8')) as Decoded;
  const ts = d.timeseries.find((x) => x.labels.some((l) => l.name === '__name__' && l.value === name));
  if (!ts) throw new Error(`capture ${n} has no ${name}`);
  return String(ts.samples[0]?.value ?? 0);
}

interface Envelope {
  status: string;
  data: { resultType: string; result: unknown } & Record<string, unknown>;
  warnings?: string[];
  infos?: string[];
  errorType?: string;
  error?: string;
}

describe('Prometheus HTTP API', () => {
  let t: PromTestServer;
  const get = async (path: string) => {
    const res = await t.app.inject({ method: 'GET', url: path });
    return { status: res.statusCode, body: res.json() as Envelope, type: res.headers['content-type'] };
  };
  const q = (params: Record<string, string | string[]>) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
    return u.toString();
  };

  before(async () => {
    t = await promTestServer();
    for (const n of [1, 2, 3]) {
      const res = await t.app.inject({
        method: 'POST', url: '/api/v1/write',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
        payload: readFileSync(join(TESTDATA, `prom-remote-write-${n}.body.bin`)),
      });
      assert.equal(res.statusCode, 204, res.body);
    }
  });
  after(async () => {
    await t.close();
  });

  it('instant query answers as Prometheus did for the same series (captured response)', async () => {
    const prom = JSON.parse(readFileSync(join(TESTDATA, 'prometheus-api-v1-query-up.json'), 'utf8')) as Envelope;
    const promTime = 1795775214.544;
    const r = await get(`/api/v1/query?${q({ query: 'up', time: String(promTime) })}`);
    assert.equal(r.status, 200);
    assert.match(String(r.type), /^application\/json/);
    assert.deepEqual(Object.keys(r.body).sort(), Object.keys(prom).sort());
    assert.deepEqual(Object.keys(r.body.data).sort(), Object.keys(prom.data).sort());
    assert.equal(r.body.data.resultType, prom.data.resultType);
    const theirs = (prom.data.result as Array<{ metric: Record<string, string> }>).filter((x) => x.metric.job === 'node');
    assert.deepEqual(r.body.data.result, theirs, 'the series both saw is identical: labels, time, value string');
  });

  it('instant query takes RFC 3339 times, POST forms, and returns scalar, string and matrix results', async () => {
    const rfc = await get(`/api/v1/query?${q({ query: 'node_load1{job="node"}', time: new Date(T2).toISOString() })}`);
    assert.deepEqual(rfc.body.data, { resultType: 'vector', result: [{ metric: { __name__: 'node_load1', instance: '127.0.0.1:19100', job: 'node' }, value: [T2 / 1000, '2.85'] }] });
    const post = await t.app.inject({
      method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: q({ query: 'node_memory_MemFree_bytes', time: String(T1 / 1000) }),
    });
    assert.equal(post.statusCode, 200);
    assert.deepEqual((post.json() as Envelope).data.result, [{ metric: { __name__: 'node_memory_MemFree_bytes', instance: '127.0.0.1:19100', job: 'node' }, value: [T1 / 1000, '22156259328'] }]);
    assert.deepEqual((await get(`/api/v1/query?${q({ query: '1 / 0', time: '100' })}`)).body, { status: 'success', data: { resultType: 'scalar', result: [100, '+Inf'] } });
    assert.deepEqual((await get(`/api/v1/query?${q({ query: '"hi"', time: '100.5' })}`)).body.data, { resultType: 'string', result: [100.5, 'hi'] });
    const m = await get(`/api/v1/query?${q({ query: 'scrape_duration_seconds[15s]', time: String(T3 / 1000) })}`);
    assert.deepEqual(m.body.data, {
      resultType: 'matrix',
      result: [{ metric: { __name__: 'scrape_duration_seconds', instance: '127.0.0.1:19100', job: 'node' }, values: [1, 2, 3].map((n) => [[T1, T2, T3][n - 1] as number / 1000, captured(n, 'scrape_duration_seconds')]) }],
    });
  });

  it('query_range returns every captured sample at its step', async () => {
    const r = await get(`/api/v1/query_range?${q({ query: 'node_load1{job="node"}', start: String(T1 / 1000), end: String(T3 / 1000), step: '5s' })}`);
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json; charset=utf-8');
    assert.deepEqual(r.body, {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { __name__: 'node_load1', instance: '127.0.0.1:19100', job: 'node' }, values: [[T1 / 1000, '2.93'], [T2 / 1000, '2.85'], [T3 / 1000, captured(3, 'node_load1')]] }] },
    });
    const durStep = await get(`/api/v1/query_range?${q({ query: 'scrape_series_added', start: new Date(T1).toISOString(), end: new Date(T3).toISOString(), step: '0.5m' })}`);
    assert.deepEqual((durStep.body.data.result as Array<{ values: unknown[] }>)[0]?.values, [[T1 / 1000, captured(1, 'scrape_series_added')]]);
  });

  it('reports PromQL infos as Prometheus 3 does (top-level infos, no empty warnings)', async () => {
    const r = await get(`/api/v1/query?${q({ query: 'rate(up[1m])', time: String(T3 / 1000) })}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.warnings, undefined);
    assert.deepEqual(r.body.infos, ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up"']);
  });

  it('series, labels and label values', async () => {
    const s = await get(`/api/v1/series?${q({ 'match[]': ['up', 'node_load1'] })}`);
    assert.deepEqual(s.body, {
      status: 'success',
      data: [
        { __name__: 'node_load1', instance: '127.0.0.1:19100', job: 'node' },
        { __name__: 'up', instance: '127.0.0.1:19100', job: 'node' },
      ],
    });
    const bounded = await get(`/api/v1/series?${q({ 'match[]': 'up', start: '0', end: '1' })}`);
    assert.deepEqual(bounded.body.data, []);
    assert.deepEqual((await get('/api/v1/labels')).body, { status: 'success', data: ['__name__', 'instance', 'job'] });
    const names = await get(`/api/v1/label/__name__/values?${q({ 'match[]': '{__name__=~"scrape_.+"}' })}`);
    assert.deepEqual(names.body.data, ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added']);
    assert.deepEqual((await get('/api/v1/label/job/values')).body, { status: 'success', data: ['node'] });
    assert.deepEqual((await get('/api/v1/label/nope/values')).body, { status: 'success', data: [] });
  });

  it('metadata, targets and buildinfo', async () => {
    assert.deepEqual((await get('/api/v1/metadata')).body, { status: 'success', data: {} });
    assert.deepEqual((await get('/api/v1/targets')).body, { status: 'success', data: { activeTargets: [], droppedTargets: [], droppedTargetCounts: {} } });
    const b = await get('/api/v1/status/buildinfo');
    assert.equal(b.body.data.version, '9.9.9-test');
  });

  const errorCases: Array<[string, string, number, string, RegExp]> = [
    ['parse error', `/api/v1/query?${q({ query: 'up{' })}`, 400, 'bad_data', /^invalid parameter "query": 1:\d+: parse error: /],
    ['bad time', `/api/v1/query?${q({ query: 'up', time: 'yesterday' })}`, 400, 'bad_data', /^invalid parameter "time": cannot parse "yesterday" to a valid timestamp$/],
    ['bad timeout', `/api/v1/query?${q({ query: 'up', timeout: 'soon' })}`, 400, 'bad_data', /^invalid parameter "timeout": cannot parse "soon" to a valid duration$/],
    ['execution error', `/api/v1/query?${q({ query: '{__name__=~"scrape_.+"} + on() {__name__=~"scrape_.+"}', time: String(T3 / 1000) })}`, 422, 'execution', /many-to-many matching not allowed|found duplicate series/],
    ['range: missing start', `/api/v1/query_range?${q({ query: 'up', end: '10', step: '1' })}`, 400, 'bad_data', /^invalid parameter "start": cannot parse "" to a valid timestamp$/],
    ['range: end before start', `/api/v1/query_range?${q({ query: 'up', start: '10', end: '5', step: '1' })}`, 400, 'bad_data', /^invalid parameter "end": end timestamp must not be before start time$/],
    ['range: zero step', `/api/v1/query_range?${q({ query: 'up', start: '0', end: '5', step: '0' })}`, 400, 'bad_data', /^invalid parameter "step": zero or negative query resolution step widths are not accepted\. Try a positive integer$/],
    ['range: bad step', `/api/v1/query_range?${q({ query: 'up', start: '0', end: '5', step: 'x' })}`, 400, 'bad_data', /^invalid parameter "step": cannot parse "x" to a valid duration$/],
    ['range: too many points', `/api/v1/query_range?${q({ query: 'up', start: '0', end: '11001', step: '1' })}`, 400, 'bad_data', /^exceeded maximum resolution of 11,000 points per timeseries\. Try decreasing the query resolution \(\?step=XX\)$/],
    ['range: matrix query', `/api/v1/query_range?${q({ query: 'up[5m]', start: '0', end: '5', step: '1' })}`, 400, 'bad_data', /invalid expression type "range vector" for range query, must be Scalar or instant Vector/],
    ['series: no match[]', '/api/v1/series', 400, 'bad_data', /^no match\[\] parameter provided$/],
    ['series: bad match[]', `/api/v1/series?${q({ 'match[]': 'rate(up[5m])' })}`, 400, 'bad_data', /^invalid parameter "match\[\]": /],
    ['labels: end before start', `/api/v1/labels?${q({ start: '10', end: '1' })}`, 400, 'bad_data', /^end timestamp must not be before start time$/],
    ['label values: bad name', '/api/v1/label/0bad/values', 400, 'bad_data', /^invalid label name: "0bad"$/],
    ['timeout', `/api/v1/query_range?${q({ query: 'count_over_time(up[1d:1s])', start: '0', end: '10000', step: '1', timeout: '0.001' })}`, 503, 'timeout', /^query timed out in expression evaluation$/],
  ];
  for (const [name, path, status, errorType, message] of errorCases) {
    it(`answers ${name} with Prometheus's error envelope (${status} ${errorType})`, async () => {
      const r = await get(path);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'errorType', 'status']);
      assert.equal(r.body.status, 'error');
      assert.equal(r.body.errorType, errorType);
      assert.match(String(r.body.error), message);
    });
  }
});
