import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath } from '../../config/validate.js';
import { resolveRemoteWriteConfigs } from './config.js';

const problems = (raw: unknown) => resolveRemoteWriteConfigs(raw).issues.map((i) => `${formatPath(i.path)}: ${i.message}`);

describe('remote_write config', () => {
  it('applies Prometheus\'s defaults', () => {
    const { configs, issues } = resolveRemoteWriteConfigs([{ url: 'http://prom:9090/api/v1/write' }]);
    assert.deepEqual(issues, []);
    const c = configs[0]!;
    assert.match(c.name, /^[0-9a-f]{6}$/);
    assert.equal(c.remoteTimeoutMs, 30_000);
    assert.deepEqual(c.queue, { capacity: 2500, maxShards: 200, minShards: 1, maxSamplesPerSend: 2000, batchSendDeadlineMs: 5000, minBackoffMs: 30, maxBackoffMs: 5000, retryOnHttp429: true });
    assert.deepEqual(c.buffer, { maxBytes: 512e6, whenFull: 'block' });
    assert.equal(resolveRemoteWriteConfigs(undefined).configs.length, 0);
  });

  it('resolves auth, tls, relabeling and the buffer', () => {
    const { configs, issues } = resolveRemoteWriteConfigs([{
      url: 'https://vm:8428/api/v1/write', name: 'vm', remote_timeout: '5s', headers: { 'X-Scope-OrgID': 'team-a' },
      bearer_token: 's3cret', tls_config: { ca_file: '/ca.pem', insecure_skip_verify: false },
      write_relabel_configs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }],
      queue_config: { max_shards: 4, min_shards: 2, retry_on_http_429: false }, buffer: { max_size: '1MiB', when_full: 'drop_newest' },
    }]);
    assert.deepEqual(issues, []);
    const c = configs[0]!;
    assert.deepEqual(c.authorization, { type: 'Bearer', credentials: 's3cret' });
    assert.equal(c.tls?.caFile, '/ca.pem');
    assert.equal(c.writeRelabel.length, 1);
    assert.equal(c.queue.minShards, 2);
    assert.equal(c.queue.retryOnHttp429, false);
    assert.deepEqual(c.buffer, { maxBytes: 1024 * 1024, whenFull: 'drop_newest' });
  });

  it('reports every problem with its path', () => {
    assert.deepEqual(problems([
      { url: 'ftp://x/', name: 'a', headers: { 'Content-Type': 'x' }, queue_config: { min_shards: 5, max_shards: 2, min_backoff: '1s', max_backoff: '10ms' } },
      { url: 'http://x/', name: 'a', basic_auth: { username: 'u', password: 'p', password_file: '/f' }, bearer_token: 't', write_relabel_configs: [{ action: 'hashmod', target_label: 'x' }] },
      { url: 'http://y/', buffer: { max_size: '1KB' }, authorization: { type: 'Basic' } },
    ]), [
      'remote_write[0].url: unsupported scheme "ftp" for URL',
      'remote_write[0].headers.Content-Type: Content-Type is a reserved header. It must not be changed',
      'remote_write[0].queue_config.min_shards: must be <= max_shards (2)',
      'remote_write[0].queue_config.max_backoff: must be >= min_backoff',
      'remote_write[1].name: found multiple remote write configs with name "a"',
      'remote_write[1]: at most one of basic_auth, authorization, bearer_token & bearer_token_file must be configured',
      'remote_write[1].basic_auth: at most one of basic_auth password & password_file must be configured',
      ...resolveRemoteWriteConfigs([{ url: 'http://x/', write_relabel_configs: [{ action: 'hashmod', target_label: 'x' }] }]).issues.map((i) => `${formatPath(i.path).replace('[0]', '[1]')}: ${i.message}`),
      'remote_write[2].authorization.type: authorization type cannot be set to "basic", use "basic_auth" instead',
      'remote_write[2].buffer.max_size: must be at least 64KiB',
    ]);
    assert.deepEqual(problems([{ url: 'http://x/', queue_config: { max_shards: 0, bogus: 1 }, remote_timeout: 'soon' }]).sort(), [
      'remote_write[0].queue_config.bogus: unknown key',
      'remote_write[0].queue_config.max_shards: must be >= 1',
      'remote_write[0].remote_timeout: must be a duration like 30s, 5m, 1h30m, 7d',
    ]);
    assert.deepEqual(problems([{ url: 'http://x/' }, { url: 'http://x/' }]), ['remote_write[1].name: duplicate remote write configs are not allowed, found duplicate for URL: http://x/ (give each a distinct name)']);
  });
});
