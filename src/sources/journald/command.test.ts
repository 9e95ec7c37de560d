import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epochArg, journalctlArgs, type JournalctlOptions } from './command.js';

const base: JournalctlOptions = { since: 'now', units: [], matches: [], priority: undefined, directory: undefined, currentBootOnly: false };
const common = ['--output=json', '--all', '--follow', '--no-pager', '--quiet'];

describe('journalctl command line', () => {
  it('starts from `since` without a cursor', () => {
    assert.deepEqual(journalctlArgs(base, { kind: 'option' }), [...common, '--lines=0']);
    assert.deepEqual(journalctlArgs({ ...base, since: 'boot' }, { kind: 'option' }), [...common, '--no-tail', '--boot']);
    assert.deepEqual(journalctlArgs({ ...base, since: 'beginning' }, { kind: 'option' }), [...common, '--no-tail']);
    assert.deepEqual(journalctlArgs({ ...base, since: '-1h' }, { kind: 'option' }), [...common, '--since=-1h', '--no-tail']);
  });

  it('resumes after a cursor or from a saved time, with every filter', () => {
    const o: JournalctlOptions = { since: 'boot', units: ['a.service', 'b*'], matches: ['_UID=0', '+', '_COMM=sshd'], priority: 'err', directory: '/j', currentBootOnly: true };
    assert.deepEqual(journalctlArgs(o, { kind: 'cursor', cursor: 's=1;i=2' }), [
      ...common, '--directory=/j', '--after-cursor=s=1;i=2', '--no-tail', '--boot', '--priority=err', '--unit=a.service', '--unit=b*', '_UID=0', '+', '_COMM=sshd',
    ]);
    assert.deepEqual(journalctlArgs(base, { kind: 'time', sinceUs: 1700000000000042 }), [...common, '--since=@1700000000.000042', '--no-tail']);
  });

  it('writes microsecond times exactly', () => {
    assert.equal(epochArg(1_000_000), '@1.000000');
    assert.equal(epochArg(1795000000123456), '@1795000000.123456');
  });
});
