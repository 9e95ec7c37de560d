import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfigText, resolveConfig } from './load.js';

const opts = (env: Record<string, string> = {}) => ({ mode: 'run' as const, env, cwd: '/srv', file: 'vigil.yaml' });

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfigText(text, opts(env));
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.location} ${i.path.join('.')}: ${i.message}`);
  }
  assert.fail('expected the config to be refused');
}

describe('config loading', () => {
  it('fills defaults for an empty config: this host\'s logs into the embedded store on loopback', () => {
    const c = resolveConfig({}, opts());
    assert.equal(c.raw.server.listen, '127.0.0.1:9470');
    assert.equal(c.dataDir, '/srv/vigil-data');
    assert.deepEqual(c.sources.map((s) => s.id).sort(), ['self', 'varlog']);
    assert.deepEqual(c.sinks.map((s) => [s.id, s.type, s.inputs.sort()]), [['store', 'store', ['self', 'varlog']]]);
    assert.deepEqual(c.raw.server.auth.tokens, []);
  });

  it('loads sources with pipelines and sinks with inputs', () => {
    const c = loadConfigText(
      `
storage:
  path: /data/vigil
sources:
  api:
    type: file
    include: [/var/log/api/*.log]
    labels: { service: api }
    pipeline:
      - type: json
sinks:
  local:
    type: store
    inputs: [api]
`,
      opts(),
    );
    assert.equal(c.dataDir, '/data/vigil');
    const api = c.sources.find((s) => s.id === 'api');
    assert.ok(api);
    assert.deepEqual(api.stages.map((s) => s.type), ['json']);
    assert.deepEqual(c.sinks[0]?.inputs, ['api']);
  });

  it('reports every problem at once with path and line:column', () => {
    const issues = issuesOf(`server:
  listen: 127.0.0.1:9470
  lisen: 1
storage:
  path: 5
sources:
  api:
    type: file
    include: /var/log/x.log
    colour: red
  odd:
    type: nosuch
sinks:
  s:
    type: store
    inputs: [api, ghost]
`);
    const text = issues.join('\n');
    assert.match(text, /vigil\.yaml:3:3 server\.lisen: unknown key/);
    assert.match(text, /vigil\.yaml:5:9 storage\.path: must be string/);
    assert.match(text, /vigil\.yaml:10:5 sources\.api\.colour: unknown key/);
    assert.match(text, /vigil\.yaml:12:11 sources\.odd\.type: unknown source type/);
    assert.match(text, /vigil\.yaml:16:19 sinks\.s\.inputs\.1: no source with id "ghost"/);
  });

  it('validates components against their own schemas, all at once', () => {
    const issues = issuesOf(`sources:
  api:
    type: file
    include: /var/log/x.log
    colour: red
  odd:
    type: nosuch
sinks:
  s:
    type: store
    inputs: [api, ghost]
`);
    const text = issues.join('\n');
    assert.match(text, /vigil\.yaml:5:5 sources\.api\.colour: unknown key/);
    assert.match(text, /vigil\.yaml:4:14 sources\.api\.include: must be array/);
    assert.match(text, /vigil\.yaml:7:11 sources\.odd\.type: unknown source type "nosuch"; known: .*file/);
    assert.match(text, /vigil\.yaml:11:19 sinks\.s\.inputs\.1: no source with id "ghost"/);
  });

  it('interpolates ${VAR} and ${VAR:-default} in values, and names unset variables', () => {
    const c = loadConfigText(
      `server:
  listen: \${ADDR:-127.0.0.1:9999}
  auth:
    tokens: ["\${TOKEN}"]
storage:
  path: /x/$$literal
`,
      opts({ TOKEN: 'abcdefghijklmnopqrstuvwxyz' }),
    );
    assert.equal(c.raw.server.listen, '127.0.0.1:9999');
    assert.deepEqual(c.raw.server.auth.tokens, ['abcdefghijklmnopqrstuvwxyz']);
    assert.equal(c.raw.storage.path, '/x/$literal');
    const issues = issuesOf('server:\n  auth:\n    tokens: ["${MISSING_TOKEN}"]\n');
    assert.match(issues.join('\n'), /vigil\.yaml:3:14 server\.auth\.tokens\.0: environment variable MISSING_TOKEN is not set/);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('server:\n  listen: [unclosed\n');
    assert.match(issues[0] ?? '', /vigil\.yaml:\d+:\d+ : YAML: /);
  });

  it('refuses values of the wrong form instead of fixing them', () => {
    const issues = issuesOf(`server:
  listen: nowhere
  limits:
    query_timeout: soon
    max_body_bytes: 12 parsecs
`);
    const text = issues.join('\n');
    assert.match(text, /server\.listen: must be host:port/);
    assert.match(text, /server\.limits\.query_timeout: must be a duration like 30s/);
    assert.match(text, /server\.limits\.max_body_bytes/);
  });
});

describe('config overrides', () => {
  it('takes --listen and tokens from VIGIL_AUTH_TOKENS', () => {
    const c = resolveConfig({}, { mode: 'run', env: { VIGIL_AUTH_TOKENS: 'aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb' }, cwd: '/srv', listen: '0.0.0.0:9470' });
    assert.equal(c.raw.server.listen, '0.0.0.0:9470');
    assert.deepEqual(c.raw.server.auth.tokens, ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb']);
    assert.throws(() => resolveConfig({}, { mode: 'run', env: { VIGIL_AUTH_TOKENS: 'short' }, cwd: '/srv' }), /env\.VIGIL_AUTH_TOKENS: each token must be at least 16 characters/);
  });
});
