import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { stopChild } from './proc.js';
import { apiValue, fetchRawSamples, nodeExporterMissing, scrapeJobYaml, startNodeExporter } from './scrape-peers.js';

describe('fetchRawSamples', () => {
  it('reads a matrix answer into integer ms timestamps and exact values', async (t) => {
    let seen = '';
    const srv = createServer((req, res) => {
      seen = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'node' }, values: [[1764267127.123, '1'], [1764267128.123, '+Inf'], [1764267129.124, '0.30000000000000004']] }] },
      }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => srv.close());
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const got = await fetchRawSamples(url, '{job="node"}', 299.5, 1764267130);
    assert.match(decodeURIComponent(seen), /query=\{job="node"\}\[300s\]&time=1764267130/);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]?.t, [1764267127123, 1764267128123, 1764267129124]);
    assert.deepEqual(Array.from(got[0]?.v ?? []), [1, Infinity, 0.1 + 0.2]);
  });

  it('throws on an error answer', async (t) => {
    const srv = createServer((_req, res) => {
      res.statusCode = 400;
      res.end('{"status":"error","error":"bad"}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => srv.close());
    await assert.rejects(fetchRawSamples(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, 'up', 60), /answered 400/);
  });

  it('maps the API\'s special values', () => {
    assert.equal(apiValue('-Inf'), -Infinity);
    assert.ok(Number.isNaN(apiValue('NaN')));
  });
});

describe('scrapeJobYaml', () => {
  it('writes one static job with timeout = interval', () => {
    assert.equal(scrapeJobYaml('node', '127.0.0.1:9100', 1, '  '), '  - job_name: node\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ["127.0.0.1:9100"]');
  });
});

describe('startNodeExporter', () => {
  const missing = nodeExporterMissing();
  it('serves node metrics on a loopback port', { skip: missing ? `skipped: ${missing}` : false }, async () => {
    const ne = await startNodeExporter();
    try {
      const text = await (await fetch(`http://${ne.address}/metrics`)).text();
      assert.match(text, /^node_cpu_seconds_total\{/m);
    } finally {
      await stopChild(ne.proc);
    }
  });
});
