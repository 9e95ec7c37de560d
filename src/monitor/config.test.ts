import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPath, validateAgainst } from '../config/validate.js';
import { MonitoringSchema, MonitorsSectionSchema, resolveMonitors } from './config.js';
import type { ProbeDefinition } from './probe.js';
import commandProbe from './probes/command/index.js';
import icmpProbe from './probes/icmp/index.js';
import processProbe from './probes/process/index.js';
import { fakeProbe, lookup } from './testdata/helpers.js';

const defs = [fakeProbe, commandProbe, icmpProbe, processProbe] as unknown as ProbeDefinition[];
const resolve = (raw: unknown) => {
  const r = resolveMonitors(raw, lookup(defs), () => defs.map((d) => d.type));
  return { monitors: r.monitors, issues: r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
};

test('defaults, type options and heartbeat are resolved', () => {
  const r = resolve({
    web: { type: 'icmp', host: '127.0.0.1', labels: { env: 'prod' } },
    job: { type: 'heartbeat', token: 'abcdefghijklmnop', interval: '1d' },
  });
  assert.deepEqual(r.issues, []);
  const [web, job] = r.monitors;
  assert.deepEqual({ ...web }, {
    kind: 'probe', name: 'web', type: 'icmp', intervalMs: 60_000, timeoutMs: 10_000, retries: 0, labels: { env: 'prod' }, enabled: true,
    options: { host: '127.0.0.1', count: 1, ip_version: 'auto', max_packet_loss_percent: 99.999, ping_path: 'ping' },
  });
  assert.equal(job?.kind, 'heartbeat');
  assert.ok(job?.kind === 'heartbeat' && job.graceMs === 300_000 && job.intervalMs === 86_400_000);
});

test('every problem is reported with its path, in one pass', () => {
  const r = resolve({
    a: { type: 'icmp', host: 'x', interval: '5s', timeout: '5s' },
    b: { type: 'icmp', hots: 'typo' },
    c: { type: 'nope' },
    d: { type: 'heartbeat', token: 'short' },
    e: { type: 'heartbeat', token: 'abcdefghijklmnop' },
    f: { type: 'heartbeat', token: 'abcdefghijklmnop' },
    g: { type: 'process' },
    h: { type: 'command', command: 'true', retries: -1, labels: { monitor: 'x' } },
    i: { type: 'icmp', host: 'x', interval: 'soon' },
    'bad name': { type: 'icmp', host: 'x' },
  });
  assert.deepEqual(r.issues.sort(), [
    'a.timeout: must be > 0 and shorter than interval (5s)',
    'bad name: monitor name must match ^[a-zA-Z_][a-zA-Z0-9_.-]*$',
    'b.host: is required',
    'b.hots: unknown key',
    'c.type: unknown monitor type "nope"; known: command, fake, heartbeat, icmp, process',
    'd.token: must NOT have fewer than 16 characters',
    'f.token: same token as monitor "e"; each heartbeat needs its own',
    'g: set exactly one of pidfile, name, cmdline',
    'h.retries: must be >= 0',
    'i.interval: must be a duration like 30s, 5m, 1h30m, 7d',
  ].map((s) => `monitors.${s}`).sort());
  assert.deepEqual(r.monitors.map((m) => m.name), ['e']);
});

test('reserved labels are refused; the section schemas accept what resolveMonitors accepts', () => {
  assert.deepEqual(resolve({ h: { type: 'command', command: 'true', labels: { type: 'x' } } }).issues, ['monitors.h.labels.type: label "type" is set by the monitor itself']);
  assert.deepEqual(resolve(undefined), { monitors: [], issues: [] });
  assert.deepEqual(resolve([1]).issues, ['monitors: must be a map of monitor name to monitor']);
  assert.deepEqual(validateAgainst(MonitorsSectionSchema, { web: { type: 'icmp', host: 'x' } }), []);
  const m: Record<string, unknown> = {};
  assert.deepEqual(validateAgainst(MonitoringSchema, m), []);
  assert.deepEqual(m, { max_concurrency: 64, history_retention: '30d' });
  assert.deepEqual(validateAgainst(MonitoringSchema, { max_concurrency: 0 }, ['monitoring']).map((i) => formatPath(i.path)), ['monitoring.max_concurrency']);
});

test('every probe example is valid against its own schema', () => {
  for (const d of [commandProbe, icmpProbe, processProbe] as unknown as ProbeDefinition[]) {
    assert.deepEqual(validateAgainst(d.schema, structuredClone(d.example)), [], d.type);
    assert.doesNotThrow(() => d.build(d.example, { name: 'x', logger: undefined as never }), d.type);
  }
});
