// Review: `${VAR}` / `${VAR:-default}` interpolation. Loki's -config.expand-env and Docker Compose
// substitute text, so `max_query_limit: ${LIMIT}` is a number and `public_metrics: ${X:-false}` a
// boolean. Vigil interpolates parsed scalars, which turns them into strings the schema refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigText } from '../../src/config/load.js';

describe('review: interpolation into non-string settings', () => {
  it('numbers and booleans given through ${VAR} load with their types', () => {
    const text = [
      'server:',
      '  listen: 127.0.0.1:9470',
      '  auth:',
      '    public_metrics: ${PUBLIC_METRICS:-false}',
      '  limits:',
      '    max_query_limit: ${LIMIT}',
      'sources: {}',
      'sinks: {}',
      '',
    ].join('\n');
    const config = loadConfigText(text, { mode: 'run', env: { LIMIT: '20000' }, cwd: '/tmp', file: 'vigil.yaml' });
    assert.equal(config.raw.server.limits.max_query_limit, 20000);
    assert.equal(config.raw.server.auth.public_metrics, false);
  });
});
