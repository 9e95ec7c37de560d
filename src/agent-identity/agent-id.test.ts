import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateAgentId } from './agent-id.js';
import { buildAgentReport, setAgentDescription } from './report.js';

describe('agent identity', () => {
  it('creates a UUID once and returns the same id on every later start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-id-'));
    try {
      const id = loadOrCreateAgentId(join(dir, 'nested'));
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(loadOrCreateAgentId(join(dir, 'nested')), id);
      assert.deepEqual(readdirSync(join(dir, 'nested')), ['agent-id']);
      writeFileSync(join(dir, 'nested', 'agent-id'), 'not an id\u0000\n');
      const fresh = loadOrCreateAgentId(join(dir, 'nested'));
      assert.notEqual(fresh, id);
      assert.equal(readFileSync(join(dir, 'nested', 'agent-id'), 'utf8').trim(), fresh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the report takes sources and sinks from the registered description; a throwing provider gives empty lists', () => {
    setAgentDescription(() => ({ sources: [{ id: 's', type: 'syslog' }], sinks: [{ id: 'k', type: 'vigil' }], labels: { env: 'prod', dc: 'x' } }));
    const r = buildAgentReport('id1', { hostname: 'h', labels: { dc: 'eu-1' }, reportIntervalS: 30 });
    assert.deepEqual([r.sources, r.sinks, r.labels, r.report_interval_s], [[{ id: 's', type: 'syslog' }], [{ id: 'k', type: 'vigil' }], { env: 'prod', dc: 'eu-1' }, 30]);
    assert.ok(!Number.isNaN(Date.parse(r.started_at)));
    setAgentDescription(() => {
      throw new Error('config not loaded');
    });
    assert.deepEqual(buildAgentReport('id1', { reportIntervalS: 30 }).sources, []);
    setAgentDescription(undefined);
  });
});
