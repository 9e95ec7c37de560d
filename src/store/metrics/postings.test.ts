import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesAll, type LabelMatcher, type Labels } from '../../core/labels.js';
import { Postings, type Posted } from './postings.js';

function series(): Posted[] {
  const out: Posted[] = [];
  let id = 0;
  for (const host of ['a', 'b', 'c', 'd']) {
    for (const mode of ['idle', 'user', 'system', 'iowait']) out.push({ id: id++, labels: { __name__: 'cpu', host, mode } });
    out.push({ id: id++, labels: { __name__: 'mem', host } });
    out.push({ id: id++, labels: { __name__: 'up', host, job: host === 'a' ? 'node' : 'app' } });
  }
  return out;
}

const M = (name: string, op: LabelMatcher['op'], value: string): LabelMatcher => ({ name, op, value });

const CASES: LabelMatcher[][] = [
  [],
  [M('__name__', '=', 'cpu')],
  [M('__name__', '=', 'cpu'), M('mode', '!=', 'idle')],
  [M('__name__', '=~', 'cpu|mem'), M('host', '=', 'b')],
  [M('mode', '=~', 'id.*')],
  [M('mode', '!~', 'id.*')],
  [M('mode', '=', '')],
  [M('mode', '=~', '.*'), M('host', '!=', 'a')],
  [M('job', '=~', 'node|')],
  [M('job', '!=', '')],
  [M('nope', '=', 'x')],
  [M('__name__', '=', 'cpu'), M('host', '=', 'zzz')],
  [M('host', '=~', '[ab]'), M('__name__', '!~', 'up|mem')],
];

test('postings select the same series as testing every matcher on every series', () => {
  const all = series();
  const p = new Postings<Posted>();
  for (const s of all) p.add(s);
  p.add(all[0] as Posted); // adding twice is a no-op
  assert.equal(p.size, all.length);
  const ids = (xs: Posted[]) => xs.map((s) => s.id).sort((a, b) => a - b);
  for (const ms of CASES) {
    assert.deepEqual(ids(p.select(ms)), ids(all.filter((s) => matchesAll(s.labels, ms))), JSON.stringify(ms));
  }
  // retention forgets series: every list they were in shrinks, empty values and names disappear
  const gone = new Set(all.filter((s) => s.labels.host === 'a' || s.labels.__name__ === 'up'));
  p.removeMany(gone);
  const left = all.filter((s) => !gone.has(s));
  assert.equal(p.size, left.length);
  for (const ms of CASES) {
    assert.deepEqual(ids(p.select(ms)), ids(left.filter((s) => matchesAll(s.labels, ms))), `after removal: ${JSON.stringify(ms)}`);
  }
  assert.deepEqual(p.select([M('job', '=~', '.+')]), []);
  // a forgotten series can come back
  const back: Posted = { id: 99, labels: { __name__: 'up', host: 'a', job: 'node' } as Labels };
  p.add(back);
  assert.deepEqual(ids(p.select([M('job', '=', 'node')])), [99]);
});
