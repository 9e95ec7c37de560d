// Review: `vigil query --tail` when the server ends the tail with an error (a metric query, a
// timeout, a store failure): the user must see why, and the exit status must say it failed.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { queryCommand } from '../../src/cli/query.js';
import { LogQLEngine } from '../../src/query/logql/index.js';
import { testServer, type TestServer } from '../../src/server/testing/harness.js';
import { MemoryLogStore } from '../../src/server/testing/memory-store.js';

describe('review: vigil query --tail reports a tail the server refused', () => {
  let t: TestServer;
  let url: string;
  before(async () => {
    const store = new MemoryLogStore();
    t = await testServer({ appender: store, querier: store, engine: new LogQLEngine(store) });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(() => t.app.close());

  it('a metric query with --tail prints the server reason and exits non-zero', async () => {
    let stdout = '';
    let stderr = '';
    const code = await queryCommand(
      'sum(count_over_time({app="a"}[1m]))',
      { since: '1h', limit: '100', output: 'raw', tail: true, server: url },
      (s) => (stdout += s),
      (s) => (stderr += s),
    );
    assert.notEqual(code, 0, `exit ${code}; stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`);
    assert.match(stderr, /log queries only/);
  });
});
