import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPath, validateAgainst } from '../../config/validate.js';
import { LogStoreConfigSchema, parseSize, resolveLogStoreConfig, type LogStoreConfig } from './config.js';

test('an empty config gets every default and resolves to numbers', () => {
  const c: Record<string, unknown> = {};
  assert.deepEqual(validateAgainst(LogStoreConfigSchema, c), []);
  const r = resolveLogStoreConfig(c as LogStoreConfig);
  assert.equal(r.retentionPeriod, 744 * 3600e6);
  assert.equal(r.retentionSize, 0);
  assert.equal(r.chunkTargetSize, 1_572_864);
  assert.equal(r.maxLabelNames, 15);
  assert.equal(r.maxLineSize, 262_144);
  assert.equal(r.creationGracePeriod, 600e6);
});

test('every property is documented', () => {
  for (const [k, v] of Object.entries(LogStoreConfigSchema.properties)) assert.ok((v as { description?: string }).description, k);
});

test('unknown keys and bad values are all reported with their paths', () => {
  const issues = validateAgainst(LogStoreConfigSchema, { retention_period: 'forever', retention_size: '10 bananas', max_label_names_per_series: 0, colour: 'red' });
  const text = issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  for (const key of ['retention_period', 'retention_size', 'max_label_names_per_series', 'colour']) assert.ok(text.some((t) => t.startsWith(key)), `${key} in ${text.join('; ')}`);
});

test('sizes: bytes, SI and IEC units', () => {
  assert.equal(parseSize('10GB'), 10e9);
  assert.equal(parseSize('512MiB'), 512 * 1024 ** 2);
  assert.equal(parseSize('1.5m'), 1_500_000);
  assert.equal(parseSize(42), 42);
  assert.equal(parseSize('12 parsecs'), undefined);
  assert.equal(resolveLogStoreConfig({ retention_size: '2KiB' } as LogStoreConfig).retentionSize, 2048);
  assert.throws(() => resolveLogStoreConfig({ max_chunk_age: 'soon' } as LogStoreConfig), /max_chunk_age: not a duration/);
});
