import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigIssue } from '../config/validate.js';
import { compileRelabelConfigs, relabel, type RelabelConfig } from './relabel.js';

function run(input: Record<string, string>, rules: RelabelConfig[]): Record<string, string> | undefined {
  const issues: ConfigIssue[] = [];
  const compiled = compileRelabelConfigs(rules, ['r'], issues);
  assert.deepEqual(issues, []);
  return relabel(input, compiled);
}

// The cases of Prometheus's model/relabel/relabel_test.go TestRelabel, in YAML-config form.
const cases: Array<{ input: Record<string, string>; rules: RelabelConfig[]; output?: Record<string, string> }> = [
  { input: { a: 'foo', b: 'bar', c: 'baz' }, rules: [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' }], output: { a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' } },
  {
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: [
      { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', replacement: 'b${1}${2}m' },
      { source_labels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', target_label: 'd', replacement: '$1$2$2$3' },
    ],
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  { input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }, { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch$1-ch$1' }] },
  { input: { a: 'foo', b: 'bar' }, rules: [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }] },
  { input: { a: 'abc' }, rules: [{ source_labels: ['a'], regex: '.*(b).*', target_label: 'd', replacement: '$1' }], output: { a: 'abc', d: 'b' } },
  { input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'no-match', action: 'drop' }], output: { a: 'foo' } },
  { input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }], output: { a: 'foo' } },
  { input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'no-match', action: 'keep' }] },
  { input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }], output: { a: 'foo' } },
  { input: { a: 'boo' }, rules: [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }], output: { a: 'boo' } },
  { input: { a: 'foo', b: 'bar', c: 'baz' }, rules: [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }], output: { a: 'foo', b: 'bar', c: 'baz', d: '976' } },
  { input: { a: 'foo\nbar' }, rules: [{ source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 }], output: { a: 'foo\nbar', b: '734' } },
  { input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }], output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' } },
  {
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    rules: [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    output: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc', my_bar: 'aaa', my_baz: 'bbb' },
  },
  { input: { a: 'some-name-value' }, rules: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}' }], output: { a: 'some-name-value', name: 'value' } },
  { input: { a: 'some-name-value' }, rules: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${3}', target_label: '${1}' }], output: { a: 'some-name-value' } },
  {
    input: { a: 'some-name-0' },
    rules: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}' },
      { source_labels: ['a'], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', target_label: '${3}' },
    ],
    output: { a: 'some-name-0' },
  },
  {
    input: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    rules: [
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)path:(/[^,]+).*', replacement: '${1}', target_label: '__metrics_path__' },
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)job:([^,]+).*', replacement: '${1}', target_label: 'job' },
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', replacement: '${2}', target_label: '${1}' },
    ],
    output: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar', __metrics_path__: '/secret', job: 'some-job', foo: 'bar' },
  },
  {
    input: { __meta_kubernetes_pod_container_port_name: 'foo', __meta_kubernetes_pod_annotation_prom_metrics_port: '9091' },
    rules: [
      { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
      { source_labels: ['__meta_kubernetes_pod_annotation_prom_metrics_port'], regex: '(.+)', replacement: 'metrics', target_label: '__meta_kubernetes_pod_container_port_name' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: '^metrics$', action: 'keep' },
    ],
    output: { __meta_kubernetes_pod_annotation_prom_metrics_port: '9091', __meta_kubernetes_pod_container_port_name: 'metrics' },
  },
  { input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: '(b.*)', action: 'labelkeep' }], output: { b1: 'bar', b2: 'baz' } },
  { input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: '(b.*)', action: 'labeldrop' }], output: { a: 'foo' } },
  {
    input: { foo: 'bAr123Foo' },
    rules: [{ source_labels: ['foo'], action: 'uppercase', target_label: 'foo_uppercase' }, { source_labels: ['foo'], action: 'lowercase', target_label: 'foo_lowercase' }],
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  { input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' }, rules: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port1' }], output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' } },
  { input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' }, rules: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port1' }] },
  { input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' }, rules: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port2' }], output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' } },
  { input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' }, rules: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port2' }] },
];

test('relabel: the cases of Prometheus relabel_test.go TestRelabel', () => {
  cases.forEach((c, i) => {
    assert.deepEqual(run(c.input, c.rules), c.output, `case ${i}`);
  });
});

test('relabel: Go template expansion ($1x is the group named 1x, $$ is a dollar)', () => {
  assert.deepEqual(run({ a: 'foo' }, [{ source_labels: ['a'], regex: '(f)(o+)', target_label: 'b', replacement: '$1x-${2}-$$-$2' }]), { a: 'foo', b: '-oo-$-oo' });
  assert.deepEqual(run({ a: 'foo' }, [{ source_labels: ['a'], regex: '(?P<first>f)o+', target_label: 'b', replacement: '${first}!' }]), { a: 'foo', b: 'f!' });
  // an empty replacement deletes the target label
  assert.deepEqual(run({ a: 'foo', b: 'x' }, [{ source_labels: ['a'], target_label: 'b', replacement: '' }]), { a: 'foo' });
  // the regex is fully anchored: "o" does not match "foo"
  assert.deepEqual(run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'o', action: 'keep' }]), undefined);
  // missing source labels join as empty strings
  assert.deepEqual(run({ a: 'x' }, [{ source_labels: ['a', 'missing'], target_label: 'c' }]), { a: 'x', c: 'x;' });
});

test('relabel: validation mirrors TestRelabelValidate', () => {
  const check = (rules: RelabelConfig[]): string[] => {
    const issues: ConfigIssue[] = [];
    compileRelabelConfigs(rules, ['relabel_configs'], issues);
    return issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.match(check([{ action: 'replace' }])[0] ?? '', /relabel_configs\.0\.target_label: .*requires 'target_label' value/);
  assert.match(check([{ action: 'lowercase' }])[0] ?? '', /requires 'target_label' value/);
  assert.match(check([{ action: 'lowercase', target_label: '${3}' }])[0] ?? '', /"\$\{3\}" is invalid 'target_label'/);
  assert.deepEqual(check([{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}' }]), []);
  assert.match(check([{ source_labels: ['a'], target_label: '0${3}' }])[0] ?? '', /"0\$\{3\}" is invalid 'target_label'/);
  assert.match(check([{ source_labels: ['a'], target_label: '-${3}' }])[0] ?? '', /is invalid 'target_label' for replace action/);
  assert.match(check([{ action: 'hashmod', target_label: 'x' }])[0] ?? '', /non-zero modulus/);
  assert.match(check([{ regex: '(' }])[0] ?? '', /relabel_configs\.0\.regex: invalid regular expression/);
  assert.match(check([{ action: 'labeldrop', regex: 'a', target_label: 'x' }])[0] ?? '', /requires only 'regex'/);
});
