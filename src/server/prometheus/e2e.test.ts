/**
 * `vigil run` as a Prometheus remote write target: a real process takes the captured Prometheus
 * bodies, answers /api/v1/query with them, and still has them after a restart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startVigilProcess, tempDir, type VigilChild } from '../../../test/support/vigil-process.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const T3 = 1795775193934;

function config(dir: string): string {
  return `server:
  listen: 127.0.0.1:0
storage:
  path: ${join(dir, 'data')}
  metrics:
    flush_interval: 1s
    retention_period: 0s
logging:
  format: json
  level: info
host_metrics:
  enabled: false   # they would add job="node" series of their own
sources: {}
sinks: {}
`;
}

async function queryUp(url: string): Promise<unknown> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: 'up', time: String(T3 / 1000) })}`);
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

describe('vigil run with Prometheus remote write', () => {
  let v: VigilChild | undefined;
  after(async () => {
    await v?.stop('SIGKILL');
  });

  it('stores remote-written samples, answers PromQL, keeps them across a restart', async () => {
    const dir = tempDir();
    v = await startVigilProcess(dir, config(dir));
    for (const n of [1, 2, 3]) {
      const res = await fetch(`${v.url}/api/v1/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        body: readFileSync(join(TESTDATA, `prom-remote-write-${n}.body.bin`)),
      });
      assert.equal(res.status, 204, await res.text());
    }
    const expected = {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { __name__: 'up', instance: '127.0.0.1:19100', job: 'node' }, value: [T3 / 1000, '1'] }] },
    };
    assert.deepEqual(await queryUp(v.url), expected);
    const bad = await fetch(`${v.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from('not snappy') });
    assert.equal(bad.status, 400);

    assert.equal(await v.stop('SIGTERM'), 0, v.stderr());
    v = await startVigilProcess(dir, config(dir));
    assert.deepEqual(await queryUp(v.url), expected, 'samples survive a restart');
    const series = await fetch(`${v.url}/api/v1/series?${new URLSearchParams({ 'match[]': '{job="node"}' })}`);
    assert.equal(((await series.json()) as { data: unknown[] }).data.length, 7);
  });
});
