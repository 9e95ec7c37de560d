// Review: what the file source's parsers extract must survive into the store. The issue asks
// "Parse failures keep the line and mark it (`__error__` as LogQL does)", and the json parser
// sends every non-promoted field to the entry's `fields` (structured metadata). The store's
// append ignores `fields`, so both are acknowledged and then silently lost.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

async function queryLines(url: string, q: string): Promise<string[]> {
  const params = new URLSearchParams({ query: q, limit: '100', start: String((Date.now() - 3600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6) });
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`);
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { data: { result: Array<{ values: Array<[string, string]> }> } };
  return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
}

describe('review: parser output reaches the store', () => {
  const children: VigilChild[] = [];
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
  });

  it('ingest-time __error__ marks and extracted fields are queryable', { timeout: 90_000 }, async () => {
    const dir = tempDir('vigil-review-fields-');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'app.log'), '{"msg":"ok","trace_id":"t-1"}\nnot json at all\n');
    const v = await startVigilProcess(dir, `server:
  listen: 127.0.0.1:0
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
sources:
  app:
    type: file
    include: ["${join(dir, 'logs')}/*.log"]
    start_at: beginning
    labels: { service: app }
    pipeline:
      - type: json
`);
    children.push(v);
    await eventually(async () => (await queryLines(v.url, '{service="app"}')).length === 2, 30_000, 'both lines stored');
    // Marked at ingest by the json parser: no query-time parser in these queries.
    assert.deepEqual(await queryLines(v.url, '{service="app"} | __error__="JSONParserErr"'), ['not json at all']);
    assert.deepEqual(await queryLines(v.url, '{service="app"} | trace_id="t-1"'), ['{"msg":"ok","trace_id":"t-1"}']);
    await v.stop();
  });
});
