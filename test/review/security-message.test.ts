// Review: when `vigil run` refuses to listen exposed without tokens it tells the user what to add.
// Following that advice literally must give a config that loads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposureProblem } from '../../src/cli/security.js';
import { loadConfigText } from '../../src/config/load.js';

describe('review: the refusal message tells how to add a token', () => {
  it('the YAML it suggests is valid and yields the token from $VIGIL_TOKEN', () => {
    const msg = exposureProblem('0.0.0.0:9470', []);
    assert.ok(msg);
    const lines = msg.split('\n');
    const from = lines.findIndex((l) => l.trim() === '# vigil.yaml');
    const to = lines.findIndex((l) => l.startsWith('or '));
    assert.ok(from > 0 && to > from, msg);
    const yaml = lines.slice(from + 1, to).map((l) => l.slice(2)).join('\n');
    const token = '0123456789abcdef0123456789abcdef';
    const config = loadConfigText(`${yaml}\nsources: {}\nsinks: {}\n`, { mode: 'run', env: { VIGIL_TOKEN: token }, cwd: '/tmp', file: 'vigil.yaml' });
    assert.deepEqual(config.raw.server.auth.tokens, [token]);
  });
});
