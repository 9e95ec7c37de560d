import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordsToBatch } from '../../core/events.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import { testServer, type TestServer } from '../testing/harness.js';

// 2024-01-02T03:04:05Z in microseconds, and entries around it.
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;
const S = 1_000_000;

describe('query API', () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ limits: { ...(await import('../testing/harness.js')).TEST_LIMITS, maxPastMicros: 1e15 } });
    await t.store.append(DEFAULT_TENANT, recordsToBatch([
      { ts: T0, labels: { app: 'api', level: 'info' }, line: 'GET /a 200' },
      { ts: T0 + 1 * S, labels: { app: 'api', level: 'error' }, line: 'GET /b 500' },
      { ts: T0 + 2 * S, labels: { app: 'api', level: 'info' }, line: 'GET /c 200' },
      { ts: T0 + 3 * S, labels: { app: 'web', level: 'info' }, line: 'page' },
    ]));
    await t.store.append('other', recordsToBatch([{ ts: T0, labels: { app: 'secret' }, line: 'x' }]));
  });
  after(() => t.app.close());

  it('query_range answers Loki\'s streams envelope, field by field', async () => {
    const res = await t.app.inject({ url: `/loki/api/v1/query_range?query=${encodeURIComponent('{app="api"} |= "GET"')}&start=${T0 * 1000}&end=${(T0 + 10 * S) * 1000}&limit=2&direction=forward` });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['data', 'status']);
    assert.equal(body.status, 'success');
    assert.equal(body.data.resultType, 'streams');
    assert.deepEqual(body.data.result, [{ stream: { app: 'api', level: 'info' }, values: [[`${T0}000`, 'GET /a 200']] }, { stream: { app: 'api', level: 'error' }, values: [[`${T0 + S}000`, 'GET /b 500']] }]);
    const call = t.engine.calls.at(-1);
    assert.deepEqual({ ...call, signal: undefined }, { tenant: DEFAULT_TENANT, query: '{app="api"} |= "GET"', start: T0, end: T0 + 10 * S, step: S, limit: 2, direction: 'forward', kind: 'range', signal: undefined });
  });

  it('accepts RFC3339, unix seconds (int and float) and nanoseconds alike', async () => {
    const forms = [
      ['2024-01-02T03:04:05Z', '2024-01-02T03:04:15.5Z'],
      [String(T0 / S), String(T0 / S + 10.5)],
      [`${T0}000`, `${T0 + 10.5 * S}000`],
    ];
    for (const [start, end] of forms) {
      const res = await t.app.inject({ url: `/loki/api/v1/query_range?query={app="web"}&start=${start}&end=${end}` });
      assert.equal(res.statusCode, 200, res.body);
      const call = t.engine.calls.at(-1);
      assert.equal(call?.start, T0, `start ${start}`);
      assert.equal(call?.end, T0 + 10.5 * S, `end ${end}`);
      assert.equal(call?.direction, 'backward');
      assert.equal(call?.limit, 100);
    }
  });

  it('defaults: end now, start end-1h, step per Loki (14s for 1h), since', async () => {
    await t.app.inject({ url: '/loki/api/v1/query_range?query={app="web"}' });
    let call = t.engine.calls.at(-1);
    // performance-based and Date-based clocks may drift apart by a little.
    assert.ok(call && Math.abs(call.end - Date.now() * 1000) < 2 * S);
    assert.equal((call?.end ?? 0) - (call?.start ?? 0), 3600 * S);
    assert.equal(call?.step, 14 * S);
    await t.app.inject({ url: `/loki/api/v1/query_range?query={app="web"}&end=${T0 / S}&since=5m&step=30s&interval=10` });
    call = t.engine.calls.at(-1);
    assert.equal(call?.start, T0 - 300 * S);
    assert.equal(call?.step, 30 * S);
    assert.equal(call?.interval, 10 * S);
  });

  it('accepts POST form bodies', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/loki/api/v1/query_range', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ query: '{app="web"}', start: String(T0 / S), end: String(T0 / S + 10) }).toString(),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.result[0].values[0][1], 'page');
  });

  it('instant query answers a vector', async () => {
    const res = await t.app.inject({ url: `/loki/api/v1/query?query=${encodeURIComponent('count_over_time({app="api"}[1m])')}&time=${T0 / S + 30}` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.data.resultType, 'vector');
    const byLevel = Object.fromEntries(body.data.result.map((r: { metric: { level: string }; value: [number, string] }) => [r.metric.level, r.value]));
    assert.deepEqual(byLevel, { info: [T0 / S + 30, '2'], error: [T0 / S + 30, '1'] });
    const call = t.engine.calls.at(-1);
    assert.equal(call?.kind, 'instant');
    assert.equal(call?.start, T0 + 30 * S);
    assert.equal(call?.end, T0 + 30 * S);
  });

  it('keeps tenants apart', async () => {
    const res = await t.app.inject({ url: `/loki/api/v1/query_range?query={app="secret"}&start=${T0 / S - 1}&end=${T0 / S + 1}`, headers: { 'x-scope-orgid': 'other' } });
    assert.deepEqual(res.json().data.result, []);
  });

  it('refuses bad parameters with 400 text naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['/loki/api/v1/query_range', 'query parameter is required: a LogQL expression such as {app="api"}'],
      ['/loki/api/v1/query_range?query={a="b"}&start=yesterday', 'could not parse \'start\' parameter: "yesterday" is neither Unix seconds, Unix nanoseconds nor an RFC3339 date'],
      ['/loki/api/v1/query_range?query={a="b"}&end=abc', 'could not parse \'end\' parameter: "abc" is neither Unix seconds, Unix nanoseconds nor an RFC3339 date'],
      ['/loki/api/v1/query_range?query={a="b"}&start=20&end=10', 'invalid end parameter: end timestamp must not be before start time'],
      ['/loki/api/v1/query_range?query={a="b"}&limit=0', 'invalid limit parameter: limit must be a positive value'],
      ['/loki/api/v1/query_range?query={a="b"}&limit=ten', 'invalid limit parameter: "ten" is not an integer'],
      ['/loki/api/v1/query_range?query={a="b"}&limit=5000', 'invalid limit parameter: max entries limit per query exceeded, limit > max_entries_limit (5000 > 1000)'],
      ['/loki/api/v1/query_range?query={a="b"}&direction=up', "invalid direction parameter 'up': use forward or backward"],
      ['/loki/api/v1/query_range?query={a="b"}&step=0', 'invalid step parameter: zero or negative query resolution step widths are not accepted. Try a positive integer'],
      ['/loki/api/v1/query_range?query={a="b"}&step=fast', 'invalid step parameter: cannot parse "fast" to a valid duration'],
      ['/loki/api/v1/query_range?query={a="b"}&start=0&end=100000&step=1', 'invalid step parameter: exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter'],
      ['/loki/api/v1/query_range?query={a="b"}&since=forever', 'could not parse \'since\' parameter: "forever" is not a duration such as 1h or 30m'],
      ['/loki/api/v1/query?query={a="b"}&time=x', 'could not parse \'time\' parameter: "x" is neither Unix seconds, Unix nanoseconds nor an RFC3339 date'],
      [`/loki/api/v1/query_range?query=${encodeURIComponent('{a="b"} | bogus')}`, 'parse error at col 9: unexpected "| bogus"'],
    ];
    for (const [url, message] of cases) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(res.body, `${message}\n`, url);
    }
  });

  it('formats parse errors with the configured formatter', async () => {
    const t2 = await testServer({ parseErrorFormatter: (q, e) => `${q}\n^ ${(e as Error).message}` });
    const res = await t2.app.inject({ url: `/loki/api/v1/query_range?query=${encodeURIComponent('{a="b"} x')}` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.body, '{a="b"} x\n^ parse error at col 9: unexpected "x"\n');
    await t2.app.close();
  });

  it('times out slow queries with the abort signal reaching the engine', async () => {
    const t2 = await testServer({ limits: { ...(await import('../testing/harness.js')).TEST_LIMITS, queryTimeoutMs: 50 } });
    t2.engine.delayMs = 5000;
    const started = Date.now();
    const res = await t2.app.inject({ url: '/loki/api/v1/query_range?query={a="b"}' });
    assert.ok(Date.now() - started < 2000);
    assert.equal(res.statusCode, 504);
    assert.equal(res.body, 'query timed out after 50ms: narrow the time range or add label matchers (prefer = over =~)\n');
    assert.equal(t2.engine.calls[0]?.signal?.aborted, true);
    await t2.app.close();
  });
});

describe('labels and series', () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
    await t.store.append(DEFAULT_TENANT, recordsToBatch([
      { ts: T0, labels: { app: 'api', level: 'info' }, line: 'a' },
      { ts: T0 + S, labels: { app: 'web', host: 'h1' }, line: 'b' },
      { ts: T0 + 7200 * S, labels: { app: 'late', zone: 'z' }, line: 'c' },
    ]));
  });
  after(() => t.app.close());
  const range = `start=${T0 / S}&end=${T0 / S + 10}`;

  it('/labels and /label/:name/values within the range', async () => {
    assert.deepEqual((await t.app.inject({ url: `/loki/api/v1/labels?${range}` })).json(), { status: 'success', data: ['app', 'host', 'level'] });
    assert.deepEqual((await t.app.inject({ url: `/loki/api/v1/label?${range}` })).json(), { status: 'success', data: ['app', 'host', 'level'] });
    assert.deepEqual((await t.app.inject({ url: `/loki/api/v1/label/app/values?${range}` })).json(), { status: 'success', data: ['api', 'web'] });
    assert.deepEqual((await t.app.inject({ url: `/loki/api/v1/label/app/values?${range}&query=${encodeURIComponent('{host="h1"}')}` })).json(), { status: 'success', data: ['web'] });
    assert.deepEqual((await t.app.inject({ url: `/loki/api/v1/label/zone/values?${range}` })).json(), { status: 'success', data: [] });
    const bad = await t.app.inject({ url: `/loki/api/v1/label/app/values?query=${encodeURIComponent('{host=h1}')}` });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.body, 'invalid query parameter "{host=h1}": parse error at col 7: expected a quoted string, found "h"\n');
    assert.equal((await t.app.inject({ url: '/loki/api/v1/label/a-b/values' })).statusCode, 400);
  });

  it('/series with repeated match[] (any of the sets)', async () => {
    const res = await t.app.inject({ url: `/loki/api/v1/series?${range}&match[]=${encodeURIComponent('{app="api"}')}&match[]=${encodeURIComponent('{host=~"h.*"}')}` });
    assert.deepEqual(res.json(), { status: 'success', data: [{ app: 'api', level: 'info' }, { app: 'web', host: 'h1' }] });
    const post = await t.app.inject({ method: 'POST', url: '/loki/api/v1/series', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `${range}&match[]=${encodeURIComponent('{app="web"}')}` });
    assert.deepEqual(post.json(), { status: 'success', data: [{ app: 'web', host: 'h1' }] });
    const none = await t.app.inject({ url: `/loki/api/v1/series?${range}` });
    assert.equal(none.statusCode, 400);
    assert.equal(none.body, 'match[] parameter is required: at least one stream selector such as {app="api"}\n');
    const empty = await t.app.inject({ url: `/loki/api/v1/series?match[]={}` });
    assert.equal(empty.body, 'invalid match[] parameter "{}": 0 matchers in group\n');
  });
});
