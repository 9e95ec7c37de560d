import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_TENANT } from '../../store/interfaces.js';
import type { SampleAppender } from '../appender.js';
import { RemoteWriteGroup } from './group.js';
import { scriptedReceiver, testConfig, until } from './testing.js';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'vigil-rw-group-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sample = (t: number) => [{ labels: { __name__: 'g' }, t: [t], v: [t] }];
const named = (url: string, name: string, queue: Record<string, unknown> = {}) => ({ ...testConfig(url, {}, queue), name });

describe('RemoteWriteGroup', () => {
  it('sends to every destination and reloads by name without losing buffered samples', async () => {
    const a = await scriptedReceiver();
    const b = await scriptedReceiver();
    const group = new RemoteWriteGroup({ configs: [named(a.url, 'a'), named(b.url, 'b')], dataDir: dir, logger: silent });
    await group.start();
    try {
      assert.deepEqual(await group.append(DEFAULT_TENANT, sample(1)), { accepted: 1, rejected: [] });
      await until(() => a.requests.length === 1 && b.requests.length === 1, 5000, 'both destinations');

      b.answer = () => ({ status: 503 });
      await group.append(DEFAULT_TENANT, sample(2));
      await until(() => b.requests.length >= 2, 5000, 'b to fail');
      const [senderA, senderB] = group.current;
      b.answer = () => ({ status: 204 });
      await group.reload([named(a.url, 'a'), named(b.url, 'b', { max_samples_per_send: 50 })]);
      assert.equal(group.current[0], senderA, 'an unchanged destination keeps running');
      assert.notEqual(group.current[1], senderB, 'a changed destination restarts');
      await until(() => b.requests.some((r) => r.status === 204 && r.series[0]?.t[0] === 2), 5000, 'b to deliver what was buffered before the reload');

      await group.reload([named(b.url, 'b', { max_samples_per_send: 50 })]);
      assert.equal(group.current.length, 1);
      const sentToA = a.requests.length;
      const fan: SampleAppender = group.withStore({ append: async (_t, s) => ({ accepted: s.length, rejected: [] }) });
      assert.deepEqual(await fan.append(DEFAULT_TENANT, sample(3)), { accepted: 1, rejected: [] });
      await until(() => b.requests.some((r) => r.series[0]?.t[0] === 3), 5000, 'the fan-out to reach b');
      assert.equal(a.requests.length, sentToA, 'a removed destination gets nothing');
    } finally {
      await group.stop();
      await a.close();
      await b.close();
    }
    await assert.rejects(group.append(DEFAULT_TENANT, sample(4)), /no remote_write destination/);
  });
});
