import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSeconds, raceAbort, timeoutReason } from './outcome.js';
import { resolveHost, splitHostPort } from './resolve.js';
import { tlsVersionName } from './tls.js';

describe('probe helpers', () => {
  it('resolves literals and names by preferred family', async () => {
    assert.deepEqual((await resolveHost('127.0.0.1')).address, '127.0.0.1');
    assert.equal((await resolveHost('[::1]', 'ip6')).family, 6);
    await assert.rejects(resolveHost('::1', 'ip4', false), /::1 is not an ip4 address/);
    const l = await resolveHost('localhost', 'ip4');
    assert.equal(l.family, 4);
    assert.ok(l.lookupSeconds >= 0);
    await assert.rejects(resolveHost('nonexistent.invalid'), /cannot resolve nonexistent\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('splits host:port', () => {
    assert.deepEqual(splitHostPort('a.b:80'), { host: 'a.b', port: 80 });
    assert.deepEqual(splitHostPort('[::1]:443'), { host: '::1', port: 443 });
    assert.throws(() => splitHostPort('a.b'), /not host:port/);
    assert.throws(() => splitHostPort('a:70000'), /not host:port/);
  });

  it('formats durations and versions', () => {
    assert.equal(timeoutReason(5000), 'timeout after 5s');
    assert.equal(timeoutReason(250), 'timeout after 250ms');
    assert.equal(formatSeconds(1.234), '1.23s');
    assert.equal(tlsVersionName('TLSv1.2'), 'TLS 1.2');
    assert.equal(tlsVersionName('TLSv1'), 'TLS 1.0');
  });

  it('raceAbort rejects on abort and removes its listener', async () => {
    const ac = new AbortController();
    const p = raceAbort(new Promise(() => {}), ac.signal);
    ac.abort();
    await assert.rejects(p, /aborted/);
    assert.equal(await raceAbort(Promise.resolve(3), new AbortController().signal), 3);
  });
});
