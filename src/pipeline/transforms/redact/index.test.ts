import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformance } from '../../../components/conformance.js';
import { counterValue, makeTestContext } from '../../../components/testing.js';
import { batchOf } from '../../parsers/test-helpers.js';
import def from './index.js';
import { luhnValid, PRESET_NAMES, type PresetName } from './presets.js';

conformance(def, import.meta.url);

function build(config: { patterns?: string[]; presets?: PresetName[]; replacement?: string }) {
  const ctx = makeTestContext('transform', 'redact');
  ctx.cleanup();
  const t = def.build(config, ctx);
  const one = (line: string): string => t.process(batchOf([line])).streams[0]?.lines[0] as string;
  return { ctx, t, one };
}

describe('redact transform', () => {
  it('redacts e-mail addresses', () => {
    const { one } = build({ presets: ['email'] });
    assert.equal(one('user bob.smith+x@mail.example.co.uk logged in'), 'user [REDACTED] logged in');
    assert.equal(one('no at sign here, nor a@b'), 'no at sign here, nor a@b');
  });

  it('redacts only Luhn-valid card numbers, with or without separators', () => {
    const { one } = build({ presets: ['credit_card'] });
    assert.equal(one('card 4111 1111 1111 1111 ok'), 'card [REDACTED] ok');
    assert.equal(one('card 4111-1111-1111-1111'), 'card [REDACTED]');
    assert.equal(one('card 5500005555555559.'), 'card [REDACTED].');
    assert.equal(one('order 4111111111111112'), 'order 4111111111111112', 'fails Luhn');
    assert.equal(one('ts 1700000000000'), 'ts 1700000000000');
    assert.ok(luhnValid('79927398713'.padStart(13, '0')));
    assert.ok(!luhnValid('1234'));
  });

  it('redacts bearer tokens keeping the scheme word', () => {
    const { one } = build({ presets: ['bearer_token'] });
    assert.equal(one('Authorization: Bearer eyJhbGciOi.J9.abc-_x== end'), 'Authorization: Bearer [REDACTED] end');
    assert.equal(one('header authorization: bearer abc123'), 'header authorization: bearer [REDACTED]');
  });

  it('replaces the password of a URL with ***, before e-mail detection', () => {
    const { one } = build({ presets: ['email', 'password_in_url'] });
    assert.equal(one('connect postgres://admin:s3cr3t!@db.example.com:5432/app'), 'connect postgres://admin:***@db.example.com:5432/app');
    assert.equal(one('see https://example.com/a:b@c'), 'see https://example.com/a:b@c', 'not credentials');
  });

  it('redacts IPv4 and IPv6 addresses but not versions, times or longer dotted numbers', () => {
    const { one } = build({ presets: ['ipv4', 'ipv6'], replacement: '<ip>' });
    assert.equal(one('from 192.168.1.20:443 to 10.0.0.1'), 'from <ip>:443 to <ip>');
    assert.equal(one('v1.2.3.4.5 and 999.1.1.1'), 'v1.2.3.4.5 and 999.1.1.1');
    assert.equal(one('peer 2001:db8::8a2e:370:7334 lo ::1 ll fe80::1'), 'peer <ip> lo <ip> ll <ip>');
    assert.equal(one('at 12:30:45 ok'), 'at 12:30:45 ok');
  });

  it('applies custom patterns and redacts field values too, counting per rule', async () => {
    const { ctx, t } = build({ patterns: ['ssn=\\d{3}-\\d{2}-\\d{4}'], presets: ['email'], replacement: 'X' });
    const b = batchOf(['a ssn=123-45-6789 b ssn=987-65-4321', 'mail a@b.io']);
    b.streams[0]!.fields = [{ user: 'c@d.org', n: '1' }, undefined];
    const out = t.process(b);
    assert.deepEqual(out.streams[0]?.lines, ['a X b X', 'mail X']);
    assert.deepEqual(out.streams[0]?.fields?.[0], { user: 'X', n: '1' });
    const metric = 'vigil_transform_redact_redactions_total';
    assert.equal(await counterValue(ctx.registry, metric, { rule: 'patterns[0]' }), 2);
    assert.equal(await counterValue(ctx.registry, metric, { rule: 'email' }), 2);
    t.process(batchOf(['x@y.com']));
    assert.equal(await counterValue(ctx.registry, metric, { rule: 'email' }), 3);
  });

  it('rejects bad patterns at config time, naming them', () => {
    assert.throws(() => build({ patterns: ['ok', '(unclosed'] }), /patterns\[1\]/);
    assert.throws(() => build({ patterns: ['a*'] }), /patterns\[0\]: matches the empty string/);
  });

  it('stays linear on long adversarial lines (no rescanning from every position)', () => {
    const { t } = build({ presets: [...PRESET_NAMES] });
    const lines = ['x'.repeat(100_000), '1'.repeat(100_000), '1.'.repeat(50_000), 'x@'.repeat(50_000), 'a@' + 'a.'.repeat(50_000), 'ab:'.repeat(30_000)];
    const start = performance.now();
    t.process(batchOf(lines));
    // Before the bounded rules this took ~6 s per rule and line; linear scanning takes milliseconds.
    assert.ok(performance.now() - start < 1500, `took ${Math.round(performance.now() - start)} ms`);
  });

  it('every preset is known to the schema', () => {
    assert.equal(new Set(PRESET_NAMES).size, 6);
    const { one } = build({ presets: [...PRESET_NAMES] });
    assert.equal(one('plain text line'), 'plain text line');
  });
});
