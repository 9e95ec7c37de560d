import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { batchToRecords } from '../../../core/events.js';
import { batchOf, buildParser, fixture, run } from '../test-helpers.js';
import { kubeMetaFromPath } from './container.js';
import def from './index.js';

conformance(def, import.meta.url);

const fix = (name: string): string[] => fixture(`../docker/testdata/${name}`);

describe('docker parser', () => {
  const lines = fix('json-file.log');

  it('decodes text, time and stream; joins lines Docker split at 16 KiB; keeps malformed ones marked', () => {
    const recs = run(buildParser(def, {}), lines, { job: 'c' });
    const byLine = recs.map((r) => [r.labels['stream'], r.line.length > 50 ? `${r.line.slice(0, 3)}…${r.line.length}` : r.line]);
    assert.deepEqual(byLine, [
      ['stdout', 'hello world'],
      ['stdout', `012…${16384 + 'tail of long line'.length}`],
      ['stdout', 'crlf line'],
      ['stderr', 'oops'],
      [undefined, '{"log":"truncated'],
    ]);
    assert.equal(recs[0]?.ts, Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456);
    assert.equal(recs[1]?.ts, Date.UTC(2024, 0, 2, 3, 4, 7) * 1000 + 500000, 'a joined line has its first piece\'s time');
    assert.ok(recs[1]?.line.endsWith('ftail of long line'));
    const bad = recs[4];
    assert.equal(bad?.fields?.['__error__'], 'DockerParserErr');
    assert.equal(bad?.ts, 1_000_004, 'a malformed entry keeps its time');
  });

  it('marks records without log or with a bad time', () => {
    const recs = run(buildParser(def, {}), ['{"stream":"stdout"}', '{"log":"a\\n","time":"yesterday"}', '[]', '']);
    assert.equal(recs.length, 4);
    for (const r of recs) assert.equal(r.fields?.['__error__'], 'DockerParserErr', r.line);
  });

  it('joins a split line across batches and caps the joined size', () => {
    const t = buildParser(def, { max_line_size: 10 });
    const rec = (log: string) => JSON.stringify({ log, stream: 'stdout', time: '2024-01-02T03:04:05Z' });
    assert.equal(batchToRecords(t.process(batchOf([rec('abc')]))).length, 0, 'held until continued');
    assert.deepEqual(batchToRecords(t.process(batchOf([rec('def\n')]))).map((r) => r.line), ['abcdef']);
    assert.deepEqual(batchToRecords(t.process(batchOf([rec('123456'), rec('7890123'), rec('z\n')]))).map((r) => r.line), ['1234567890123', 'z']);
  });

  it('adds kubernetes labels and pod_uid from kubelet paths', () => {
    const path = '/var/log/pods/prod_web-7f9c_0b1e2c3d-aaaa-bbbb-cccc-111122223333/nginx/0.log';
    const recs = run(buildParser(def, {}), [lines[0] as string], { filename: path });
    assert.deepEqual(recs[0]?.labels, { filename: path, namespace: 'prod', pod: 'web-7f9c', container: 'nginx', stream: 'stdout' });
    assert.equal(recs[0]?.fields?.['pod_uid'], '0b1e2c3d-aaaa-bbbb-cccc-111122223333');
    const id = 'a'.repeat(64);
    assert.deepEqual(kubeMetaFromPath(`/var/log/containers/web-7f9c_prod_nginx-side-${id}.log`), { pod: 'web-7f9c', namespace: 'prod', container: 'nginx-side' });
    assert.equal(kubeMetaFromPath('/var/log/syslog'), undefined);
  });
});
