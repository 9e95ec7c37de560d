/**
 * The LogQL engine's expectations on the fixed corpus (testdata/corpus.json), as a suite any
 * LogQuerier can run: the engine tests run it on the in-memory querier; the store's tests can run
 * it on the embedded store (`logqlCorpusSuite(async (c) => storeLoadedWith(c))`). Every expected
 * output is Loki's exact `data` shape.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isVigilError } from '../../../core/errors.js';
import { DEFAULT_TENANT, type LogQuerier } from '../../../store/interfaces.js';
import { LogQLEngine, type LogQLQuery, type LokiQueryData } from '../engine.js';
import { loadCorpus, type Corpus } from './corpus.js';

/** Registers the corpus tests; `makeQuerier` gets the corpus and returns a querier holding it. */
export function logqlCorpusSuite(makeQuerier: (corpus: Corpus) => LogQuerier | Promise<LogQuerier>): void {
  const corpus = loadCorpus();
  const T0 = corpus.t0; // 1700000000 s
  const S = 1_000_000;
  const sec = (n: number): number => 1_700_000_000 + n;

  let engine: LogQLEngine;
  before(async () => {
    engine = new LogQLEngine(await makeQuerier(corpus), { maxEntriesLimit: 1000 });
  });

  type Req = Partial<LogQLQuery> & { query: string };
  const base = (r: Req): LogQLQuery => ({ tenant: DEFAULT_TENANT, start: T0, end: T0 + 60 * S, limit: 100, direction: 'backward', kind: 'range', ...r });
  async function run(r: Req, e = engine): Promise<Omit<LokiQueryData, 'stats'>> {
    const { stats, ...rest } = await e.query(base(r));
    assert.ok(stats.summary.execTime >= 0);
    return rest;
  }
  const instant = (query: string, at = T0 + 60 * S): Promise<Omit<LokiQueryData, 'stats'>> => run({ query, kind: 'instant', start: at, end: at });
  const vec = (...items: Array<[Record<string, string>, string]>): unknown => ({
    resultType: 'vector',
    result: items.map(([metric, v]) => ({ metric, value: [sec(60), v] })),
  });
  async function rejects(r: Req, re: RegExp): Promise<void> {
    await assert.rejects(engine.query(base(r)), (e: unknown) => {
      assert.ok(isVigilError(e), String(e));
      assert.equal(e.code, 'BAD_QUERY');
      assert.match(e.message, re);
      return true;
    });
  }

  const API = { app: 'api', env: 'prod' };
  const WEB = { app: 'web', env: 'prod' };
  const ns = (s: number): string => `${1_700_000_000 + s}000000000`;

  describe('log queries', () => {
    it('backward: newest first across streams, limit applied before grouping, streams sorted by labels', async () => {
      assert.deepEqual(await run({ query: '{env="prod"}', limit: 3 }), {
        resultType: 'streams',
        result: [
          { stream: API, values: [[ns(50), '{"level":"error","status":503,"latency":"2s","size":"30KB","msg":"unavailable","user":{"id":"u2"}}'], [ns(40), '{"level":"warn","status":404,"latency":"15ms","size":"100B","msg":"missing","user":{"id":"u3"}}']] },
          { stream: WEB, values: [[ns(45), 'level=debug method=GET path=/health status=200 duration=1ms bytes=2']] },
        ],
      });
    });

    it('forward: oldest first; the end of the range is exclusive, the start inclusive', async () => {
      const r = await run({ query: '{env="prod"} | line_format "{{.app}}"', direction: 'forward', start: T0 + 10 * S, end: T0 + 20 * S });
      assert.deepEqual(r, { resultType: 'streams', result: [{ stream: API, values: [[ns(10), 'api']] }, { stream: WEB, values: [[ns(15), 'web']] }] });
      const l = await run({ query: '{env="prod"} | line_format "{{.app}}"', direction: 'forward', limit: 4 });
      assert.deepEqual(l.result, [{ stream: API, values: [[ns(0), 'api'], [ns(10), 'api']] }, { stream: WEB, values: [[ns(5), 'web'], [ns(15), 'web']] }]);
    });

    it('parsed labels split streams; errors show as __error__ labels', async () => {
      const r = await run({ query: '{app="api"} | json | level="error" | line_format "{{.msg}}"' });
      assert.deepEqual(r.result, [
        { stream: { ...API, latency: '1.2s', level: 'error', msg: 'boom', size: '20KB', status: '500', user_id: 'u2' }, values: [[ns(10), 'boom']] },
        { stream: { ...API, latency: '2s', level: 'error', msg: 'unavailable', size: '30KB', status: '503', user_id: 'u2' }, values: [[ns(50), 'unavailable']] },
      ]);
      const errs = await run({ query: '{app="api"} | json | __error__!="" | drop __error_details__' });
      assert.deepEqual(errs.result, [{ stream: { ...API, __error__: 'JSONParserErr' }, values: [[ns(30), 'panic: something broke']] }]);
    });

    it('every stage kind on the corpus', async () => {
      const r = await run({ query: '{app="web"} | logfmt | status >= 300 and duration > 20ms | keep path, status | line_format "{{.status}} {{.path}}"', direction: 'forward' });
      assert.deepEqual(r.result, [
        { stream: { path: '/boom', status: '500' }, values: [[ns(25), '500 /boom']] },
        { stream: { path: '/login', status: '302' }, values: [[ns(15), '302 /login']] },
      ]);
      const w = await run({ query: '{app="worker"} | decolorize | pattern "<level> job <id> <_> from <ip>" | ip=ip("10.0.0.0/8") | label_format job="{{.id}}" | drop id, ip', direction: 'forward' });
      assert.deepEqual(w.result, [
        { stream: { app: 'worker', env: 'dev', job: '17', level: 'ERROR' }, values: [[ns(2), 'ERROR job 17 failed from 10.0.0.5']] },
        { stream: { app: 'worker', env: 'dev', job: '19', level: 'WARN' }, values: [[ns(42), 'WARN job 19 slow from 10.0.0.7']] },
      ]);
      // the line in error passes the bytes filter (only string matchers drop errors); `{__error__...` sorts first
      const b = await run({ query: '{app="api"} | json | size > 10KB | line_format "{{.size}}"' });
      assert.deepEqual(b.result.map((s) => (s as { values: unknown[] }).values), [[[ns(30), '']], [[ns(10), '20KB']], [[ns(50), '30KB']]]);
    });

    it('interval keeps entries at least that far apart', async () => {
      const r = await run({ query: '{env="prod"} | line_format "x"', direction: 'forward', interval: 15 * S });
      assert.deepEqual(r.result, [{ stream: API, values: [[ns(0), 'x'], [ns(30), 'x']] }, { stream: WEB, values: [[ns(15), 'x'], [ns(45), 'x']] }]);
    });

    it('tenants are isolated', async () => {
      const r = await run({ query: '{app="api"}', tenant: 'other' });
      assert.deepEqual(r.result, [{ stream: API, values: [[ns(1), '{"level":"error","msg":"other tenant"}']] }]);
    });

    it('counts stats in Loki\'s summary shape (line filters run in the store)', async () => {
      const all = await engine.query(base({ query: '{app="api"} |= "error"' }));
      assert.equal(all.stats.summary.totalLinesProcessed, 2);
      assert.equal(all.stats.summary.totalBytesProcessed, 93 + 98);
      assert.equal(all.stats.summary.totalEntriesReturned, 2);
      assert.deepEqual(Object.keys(all.stats.summary).sort(), [
        'bytesProcessedPerSecond', 'execTime', 'linesProcessedPerSecond', 'queueTime', 'subqueries', 'totalBytesProcessed',
        'totalEntriesReturned', 'totalLinesProcessed', 'totalPostFilterLines',
      ]);
    });

    it('refuses instant log queries, oversize limits, and aborted queries', async () => {
      await rejects({ query: '{app="api"}', kind: 'instant' }, /not supported as an instant query/);
      await rejects({ query: '{app="api"}', limit: 5000 }, /max entries limit per query exceeded/);
      await rejects({ query: '{app="api"' }, /parse error at 1:1: "\{" is never closed/);
      const ac = new AbortController();
      ac.abort(new Error('stop now'));
      await assert.rejects(engine.query(base({ query: '{app="api"}', signal: ac.signal })), /stop now/);
    });
  });

  describe('metric queries: range functions', () => {
    it('count_over_time over a range query uses left-open windows (t - range, t]', async () => {
      assert.deepEqual(await run({ query: 'count_over_time({env="prod"}[30s])', step: 10 * S }), {
        resultType: 'matrix',
        result: [
          { metric: API, values: [[sec(0), '1'], [sec(10), '2'], [sec(20), '3'], [sec(30), '3'], [sec(40), '3'], [sec(50), '3'], [sec(60), '2']] },
          { metric: WEB, values: [[sec(10), '1'], [sec(20), '2'], [sec(30), '3'], [sec(40), '3'], [sec(50), '3'], [sec(60), '2']] },
        ],
      });
    });

    it('range queries evaluate at start, start+step, ..., end; a missing step follows Loki\'s default', async () => {
      assert.deepEqual(await run({ query: 'sum by (app) (count_over_time({app=~"api|web"}[20s]))', end: T0 + 40 * S, step: 20 * S }), {
        resultType: 'matrix',
        result: [
          { metric: { app: 'api' }, values: [[sec(0), '1'], [sec(20), '2'], [sec(40), '2']] },
          { metric: { app: 'web' }, values: [[sec(20), '2'], [sec(40), '2']] },
        ],
      });
      const d = await run({ query: 'count_over_time({app="worker"}[1s])', end: T0 + 3 * S });
      assert.deepEqual(d.result, [{ metric: { app: 'worker', env: 'dev' }, values: [[sec(2), '1']] }]); // 1s default step
    });

    it('windows shorter than the step leave gaps; an entry on the lower edge is outside', async () => {
      const r = await run({ query: 'count_over_time({app="api"}[5s])', end: T0 + 40 * S, step: 20 * S });
      assert.deepEqual(r.result, [{ metric: API, values: [[sec(0), '1'], [sec(20), '1'], [sec(40), '1']] }]);
      assert.deepEqual(await instant('count_over_time({app="api"}[10s])', T0 + 20 * S), { resultType: 'vector', result: [{ metric: API, value: [sec(20), '1'] }] });
    });

    it('constant-memory windows (count, rate, bytes) agree with per-sample evaluation for any step, range and offset', async () => {
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      for (let k = 0; k < 25; k++) {
        const range = `${1 + rnd(40)}s`;
        const off = rnd(3) === 0 ? ` offset ${rnd(20)}s` : '';
        const req = { start: T0 - rnd(20) * S, end: T0 + rnd(70) * S, step: (1 + rnd(25)) * S };
        const fast = await run({ ...req, query: `rate({env=~".+"}[${range}]${off})` });
        const slow = await run({ ...req, query: `sum_over_time({env=~".+"} | label_format one="1" | drop one | label_format one="1" | unwrap one [${range}]${off}) / ${range.slice(0, -1)}` });
        assert.deepEqual(fast, slow, `rate over [${range}]${off} ${JSON.stringify(req)}`);
      }
    });

    it('rate, bytes_over_time, bytes_rate, offset, absent_over_time', async () => {
      assert.deepEqual(await instant('rate({app="web"}[10s])', T0 + 25 * S), { resultType: 'vector', result: [{ metric: WEB, value: [sec(25), '0.1'] }] });
      const W = { app: 'worker', env: 'dev' };
      assert.deepEqual(await instant('bytes_over_time({app="worker"}[1m])'), vec([W, '106']));
      assert.deepEqual(await instant('bytes_rate({app="worker"}[1m])'), vec([W, '1.7666666666666666']));
      assert.deepEqual(await instant('count_over_time({app="api"}[20s] offset 10s)'), vec([API, '2']));
      assert.deepEqual(await instant('absent_over_time({app="nope", env=~"x"}[1m])'), vec([{ app: 'nope' }, '1']));
      assert.deepEqual(await instant('absent_over_time({app="api"}[1m])'), vec());
    });

    it('unwrapped functions: sum, avg, min, max, first, last, stddev, stdvar, quantile, rate', async () => {
      const lat = (fn: string): string => `${fn}({app="api"} | json level, latency | __error__="" | unwrap duration(latency) [1m]) by (level)`;
      assert.deepEqual(await instant(lat('max_over_time')), vec([{ level: 'error' }, '2'], [{ level: 'info' }, '0.08'], [{ level: 'warn' }, '0.015']));
      assert.deepEqual(await instant(lat('min_over_time')), vec([{ level: 'error' }, '1.2'], [{ level: 'info' }, '0.08'], [{ level: 'warn' }, '0.015']));
      assert.deepEqual(await instant(lat('first_over_time')), vec([{ level: 'error' }, '1.2'], [{ level: 'info' }, '0.08'], [{ level: 'warn' }, '0.015']));
      assert.deepEqual(await instant(lat('last_over_time')), vec([{ level: 'error' }, '2'], [{ level: 'info' }, '0.08'], [{ level: 'warn' }, '0.015']));
      assert.deepEqual(await instant(lat('stddev_over_time')), vec([{ level: 'error' }, '0.39999999999999997'], [{ level: 'info' }, '0'], [{ level: 'warn' }, '0']));
      assert.deepEqual(await instant(lat('stdvar_over_time')), vec([{ level: 'error' }, '0.15999999999999998'], [{ level: 'info' }, '0'], [{ level: 'warn' }, '0']));
      assert.deepEqual(await instant(lat('quantile_over_time(0.5, ').replace('quantile_over_time(0.5, (', 'quantile_over_time(0.5, ')), vec([{ level: 'error' }, '1.6'], [{ level: 'info' }, '0.08'], [{ level: 'warn' }, '0.015']));
      assert.deepEqual(await instant('sum_over_time({app="web"} | logfmt | unwrap bytes [1m])'), {
        resultType: 'vector',
        result: [
          { metric: { ...WEB, duration: '10ms', level: 'info', method: 'GET', path: '/', status: '200' }, value: [sec(60), '2048'] },
          { metric: { ...WEB, duration: '12ms', level: 'info', method: 'GET', path: '/', status: '200' }, value: [sec(60), '1024'] },
          { metric: { ...WEB, duration: '1ms', level: 'debug', method: 'GET', path: '/health', status: '200' }, value: [sec(60), '2'] },
          { metric: { ...WEB, duration: '300ms', level: 'error', method: 'GET', msg: 'internal error', path: '/boom', status: '500' }, value: [sec(60), '64'] },
          { metric: { ...WEB, duration: '40ms', level: 'info', method: 'POST', path: '/login', status: '302' }, value: [sec(60), '512'] },
        ],
      });
      assert.deepEqual(await instant('sum(sum_over_time({app="web"} | logfmt | unwrap bytes(bytes) [1m]))'), vec([{}, '3650']));
      assert.deepEqual(await instant('avg_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (method)'), vec([{ method: 'GET' }, '0.08075'], [{ method: 'POST' }, '0.04']));
      assert.deepEqual(await instant('rate({app="web"} | logfmt | unwrap status [1m]) without (duration, bytes, level, path, msg, status)'), vec([{ ...WEB, method: 'GET' }, '18.333333333333332'], [{ ...WEB, method: 'POST' }, '5.033333333333333']));
    });

    it('metric queries fail on pipeline errors unless filtered, as Loki does', async () => {
      await rejects({ query: 'count_over_time({app="api"} | json [1m])', kind: 'instant' }, /pipeline error: 'JSONParserErr' for series: '\{__error__="JSONParserErr"/);
      await rejects({ query: 'sum_over_time({app="api"} | json | unwrap msg [1m])', kind: 'instant' }, /pipeline error: 'SampleExtractionErr'/);
      // a line without the unwrapped label is no sample and no error (the panic line here)
      assert.deepEqual(await instant('sum(sum_over_time({app="api"} | json | unwrap status [1m]))'), vec([{}, '1608']));
      assert.deepEqual(await instant('sum(sum_over_time({app="api"} | json | unwrap msg | __error__!="SampleExtractionErr" [1m]))'), vec());
      assert.deepEqual(await instant('sum(count_over_time({app="api"} | json | __error__="" [1m]))'), vec([{}, '4']));
    });
  });

  describe('metric queries: aggregations and operators', () => {
    const byApp = 'sum by (app) (count_over_time({app=~".+"}[1m]))'; // api 5, web 5, worker 3 at T0+60s
    it('vector aggregations', async () => {
      assert.deepEqual(await instant(`sum by (env) (count_over_time({app=~".+"}[1m]))`), vec([{ env: 'dev' }, '3'], [{ env: 'prod' }, '10']));
      assert.deepEqual(await instant(`sum without (app) (count_over_time({app=~".+"}[1m]))`), vec([{ env: 'dev' }, '3'], [{ env: 'prod' }, '10']));
      assert.deepEqual(await instant(`avg(${byApp})`), vec([{}, '4.333333333333333']));
      assert.deepEqual(await instant(`min(${byApp})`), vec([{}, '3']));
      assert.deepEqual(await instant(`max(${byApp})`), vec([{}, '5']));
      assert.deepEqual(await instant(`count(${byApp})`), vec([{}, '3']));
      // Welford's online variance in series label order (api, web, worker), as Prometheus computes it
      assert.deepEqual(await instant(`stddev(${byApp})`), vec([{}, '0.9428090415820632']));
      assert.deepEqual(await instant(`topk(2, ${byApp})`), vec([{ app: 'api' }, '5'], [{ app: 'web' }, '5']));
      assert.deepEqual(await instant(`bottomk(1, ${byApp})`), vec([{ app: 'worker' }, '3']));
      assert.deepEqual(await instant(`topk by (env) (1, count_over_time({app=~".+"}[1m]))`), vec([{ app: 'api', env: 'prod' }, '5'], [{ app: 'worker', env: 'dev' }, '3']));
      const sorted = await instant(`sort(${byApp})`);
      assert.deepEqual((sorted.result as Array<{ metric: unknown }>)[0]?.metric, { app: 'worker' });
      assert.deepEqual(await instant('sum by (lvl) (count_over_time({app="web"} | logfmt | label_format lvl=level [1m]))'), vec([{ lvl: 'debug' }, '1'], [{ lvl: 'error' }, '1'], [{ lvl: 'info' }, '3']));
    });

    it('arithmetic and comparisons with scalars', async () => {
      assert.deepEqual(await instant(`sum(${byApp}) * 60`), vec([{}, '780']));
      assert.deepEqual(await instant(`2 * sum(${byApp}) - 1`), vec([{}, '25']));
      assert.deepEqual(await instant(`${byApp} > 4`), vec([{ app: 'api' }, '5'], [{ app: 'web' }, '5']));
      assert.deepEqual(await instant(`4 < ${byApp}`), vec([{ app: 'api' }, '5'], [{ app: 'web' }, '5']));
      assert.deepEqual(await instant(`${byApp} > bool 4`), vec([{ app: 'api' }, '1'], [{ app: 'web' }, '1'], [{ app: 'worker' }, '0']));
      assert.deepEqual(await instant('1 + 2 * 3'), { resultType: 'scalar', result: [sec(60), '7'] });
      assert.deepEqual(await instant('vector(2) ^ 3'), vec([{}, '8']));
    });

    it('vector-vector operators match on labels, with on/ignoring and set operators', async () => {
      const ratio = 'sum by (app) (count_over_time({env="prod"} |= "error" [1m])) / sum by (app) (count_over_time({env="prod"}[1m]))';
      assert.deepEqual(await instant(ratio), vec([{ app: 'api' }, '0.4'], [{ app: 'web' }, '0.2']));
      assert.deepEqual(await instant('count_over_time({env="prod"} |= "error" [1m]) / ignoring(env) sum by (app) (count_over_time({env="prod"}[1m]))'), vec([{ app: 'api' }, '0.4'], [{ app: 'web' }, '0.2']));
      assert.deepEqual(await instant('count_over_time({env="prod"} |= "error" [1m]) - on(app) sum by (app) (count_over_time({env="prod"}[1m]))'), vec([{ app: 'api' }, '-3'], [{ app: 'web' }, '-4']));
      assert.deepEqual(await instant(`${byApp} unless sum by (app) (count_over_time({env="prod"}[1m]))`), vec([{ app: 'worker' }, '3']));
      assert.deepEqual(await instant(`${byApp} and sum by (app) (count_over_time({env="dev"}[1m]))`), vec([{ app: 'worker' }, '3']));
      assert.deepEqual(await instant(`sum by (app) (count_over_time({env="dev"}[1m])) or ${byApp}`), vec([{ app: 'api' }, '5'], [{ app: 'web' }, '5'], [{ app: 'worker' }, '3']));
      // many-to-one: each app's count divided by its env's total, keeping the env label from the right
      const perApp = 'sum by (app, env) (count_over_time({app=~".+"}[1m]))';
      const perEnv = 'sum by (env) (count_over_time({app=~".+"}[1m]))';
      assert.deepEqual(await instant(`${perApp} / on (env) group_left ${perEnv}`), vec([API, '0.5'], [WEB, '0.5'], [{ app: 'worker', env: 'dev' }, '1']));
      assert.deepEqual(await instant(`${perEnv} * on (env) group_right ${perApp}`), vec([API, '50'], [WEB, '50'], [{ app: 'worker', env: 'dev' }, '9']));
      assert.deepEqual(await instant(`${perApp} + on (env) group_left (kind) label_replace(${perEnv}, "kind", "k-$1", "env", "(.*)")`), vec(
        [{ ...API, kind: 'k-prod' }, '15'], [{ ...WEB, kind: 'k-prod' }, '15'], [{ app: 'worker', env: 'dev', kind: 'k-dev' }, '6'],
      ));
      // ignoring(app) leaves `kind` in the right side's signature: nothing matches
      assert.deepEqual(await instant(`${perApp} + ignoring (app) group_left (kind) label_replace(${perEnv}, "kind", "k", "env", ".*")`), vec());
      assert.deepEqual(await instant(`label_replace(${byApp}, "svc", "s-$1", "app", "(w.*)")`), vec([{ app: 'api' }, '5'], [{ app: 'web', svc: 's-web' }, '5'], [{ app: 'worker', svc: 's-worker' }, '3']));
    });
  });
}
