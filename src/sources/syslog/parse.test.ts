import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseRfc3339 } from '../../core/time.js';
import { SyslogFramer } from './framer.js';
import { facilityName, levelName, newMessage, parseSyslog, severityName, type SyslogMessage } from './parse.js';
import { zoneFor } from './timestamps.js';

// ../shared/samples beside the repository (CI clones the repo with shared/ beside it).
const SAMPLES = fileURLToPath(new URL('../../../../shared/samples', import.meta.url));
const NOW = parseRfc3339('2026-11-27T11:00:00Z') as number;
const utc = zoneFor('UTC');

function parse(text: string | Buffer, now = NOW, zone = utc): SyslogMessage | string {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  const m = newMessage();
  const bad = parseSyslog(buf, 0, buf.length, { zone, now }, m);
  return bad ?? { ...m };
}

function ok(text: string | Buffer, now = NOW, zone = utc): SyslogMessage {
  const r = parse(text, now, zone);
  assert.ok(typeof r !== 'string', `refused: ${r as string}`);
  return r;
}

function ts(iso: string): number {
  return parseRfc3339(iso) as number;
}

/** Splits a raw stream capture into frames with the real framer. */
function frames(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const f = new SyslogFramer(65536, {
    frame: (b, s, e) => out.push(Buffer.from(b.subarray(s, e))),
    problem: (k, d) => assert.fail(`${k}: ${d}`),
  });
  f.push(raw);
  f.end();
  return out;
}

describe('syslog parser on what rsyslog and syslog-ng really sent', () => {
  it('rsyslog omfwd RSYSLOG_TraditionalForwardFormat (RFC 3164, newline framed)', () => {
    const msgs = frames(readFileSync(`${SAMPLES}/rsyslog-omfwd-legacy-sample.txt`)).map((b) => ok(b));
    assert.equal(msgs.length, 6);
    const [m1, m2, m3] = msgs as [SyslogMessage, SyslogMessage, SyslogMessage];
    assert.deepEqual(
      { pri: m1.pri, host: m1.host, app: m1.app, msg: m1.msg, ts: m1.ts, format: m1.format },
      { pri: 13, host: 'vm', app: 'peers-test', msg: 'fwd test 1 over tcp rfc3164', ts: ts('2026-11-27T10:35:48Z'), format: 3164 },
    );
    // The tag without a colon (the original was RFC 5424) still separates app from message.
    assert.equal(m2.app, 'peers-test');
    assert.equal(m2.msg, 'fwd test 2 over tcp rfc5424 with "quotes" and SD');
    assert.equal(facilityName(m2.pri), 'local3');
    assert.equal(severityName(m2.pri), 'warning');
    assert.equal(levelName(m2.pri), 'warn');
    assert.equal(facilityName(m3.pri), 'auth');
    assert.equal(severityName(m3.pri), 'err');
    assert.equal(levelName(m3.pri), 'error');
  });

  it('rsyslog omfwd RSYSLOG_SyslogProtocol23Format (RFC 5424, octet counted)', () => {
    const msgs = frames(readFileSync(`${SAMPLES}/rsyslog-omfwd-rfc5424-sample.txt`)).map((b) => ok(b));
    assert.equal(msgs.length, 6);
    const [m1, m2] = msgs as [SyslogMessage, SyslogMessage];
    assert.equal(m1.format, 5424);
    assert.equal(m1.msg, 'fwd test 1 over tcp rfc3164');
    assert.equal(m1.host, 'vm');
    assert.equal(m1.app, 'peers-test');
    assert.equal(m1.procid, '');
    assert.equal(m1.msgid, '');
    assert.equal(m1.sd, undefined);
    assert.equal(m2.ts, ts('2026-11-27T10:35:48.751056Z'));
    assert.deepEqual(m2.sd, { sd_timeQuality_tzKnown: '1', sd_timeQuality_isSynced: '0', sd_zoo_123_tiger: 'hungry' });
    assert.equal(m2.msg, 'fwd test 2 over tcp rfc5424 with "quotes" and SD');
  });

  it('syslog-ng network() (RFC 3164) and syslog() (RFC 5424) drivers', () => {
    const legacy = frames(readFileSync(`${SAMPLES}/syslog-ng-network-legacy-sample.txt`)).map((b) => ok(b));
    assert.deepEqual(legacy.map((m) => [m.host, m.app, m.msg]), [
      ['vm', 'peers-test', 'sng fwd test 1 over tcp rfc3164'],
      ['vm', 'peers-test', 'sng fwd test 2 over tcp rfc5424 with "quotes" and SD'],
      ['vm', 'peers-test', 'sng fwd test 3 over udp'],
    ]);
    const p5424 = frames(readFileSync(`${SAMPLES}/syslog-ng-syslog-rfc5424-sample.txt`)).map((b) => ok(b));
    assert.equal(p5424.length, 3);
    assert.deepEqual(p5424.map((m) => m.msg), ['sng fwd test 1 over tcp rfc3164', 'sng fwd test 2 over tcp rfc5424 with "quotes" and SD', 'sng fwd test 3 over udp']);
    assert.equal(p5424[1]?.sd?.['sd_zoo_123_tiger'], 'hungry');
    assert.equal(p5424[0]?.ts, ts('2026-11-27T10:37:49Z'));
  });

  it('the peers\' own logs of what they received carry the same shape of header', () => {
    // Lines of rsyslog-recv-messages.log are "<ISO time> <host> <tag> <msg>": with a PRI added they
    // are the ISO-timestamped RFC 3164 form some senders use.
    for (const f of ['rsyslog-recv-messages.log', 'syslog-ng-recv-messages.log']) {
      for (const line of readFileSync(`${SAMPLES}/${f}`, 'utf8').split('\n').filter(Boolean)) {
        const m = ok(`<14>${line}`);
        assert.equal(m.host, 'vm');
        assert.match(m.app, /^verify\d+$/);
        assert.equal(m.ts, ts(line.slice(0, line.indexOf(' '))));
        assert.match(m.msg, /^(rsyslog|sng) /);
      }
    }
  });
});

describe('syslog parser: RFC 3164 variants', () => {
  it('takes tag[pid]: and the space-padded day', () => {
    const m = ok('<30>Nov  7 01:02:03 web1 nginx[4242]: GET / 200');
    assert.deepEqual([m.host, m.app, m.procid, m.msg, m.ts], ['web1', 'nginx', '4242', 'GET / 200', ts('2026-11-07T01:02:03Z')]);
  });

  it('has no hostname when the token after the time is already a tag', () => {
    const m = ok('<13>Nov 27 10:35:48 sshd[99]: Accepted key');
    assert.deepEqual([m.host, m.app, m.procid, m.msg], ['', 'sshd', '99', 'Accepted key']);
    assert.equal(ok('<13>Nov 27 10:35:48 cron: job').host, '');
  });

  it('infers the year from the receive time, across New Year both ways', () => {
    const jan1 = ts('2027-01-01T00:00:10Z');
    assert.equal(ok('<13>Dec 31 23:59:58 h a: x', jan1).ts, ts('2026-12-31T23:59:58Z'));
    const dec31 = ts('2026-12-31T23:59:50Z');
    assert.equal(ok('<13>Jan  1 00:00:05 h a: x', dec31).ts, ts('2027-01-01T00:00:05Z'));
    // A date a few weeks ahead is a sender clock problem, not last year; months ahead is last year.
    assert.equal(ok('<13>Dec 20 10:00:00 h a: x').ts, ts('2026-12-20T10:00:00Z'));
    assert.equal(ok('<13>Mar  1 10:00:00 h a: x').ts, ts('2026-03-01T10:00:00Z'));
    assert.equal(ok('<13>Mar  1 10:00:00 h a: x', ts('2027-01-15T00:00:00Z')).ts, ts('2026-03-01T10:00:00Z'));
  });

  it('reads the time in the configured zone (with DST) or a fixed offset', () => {
    assert.equal(ok('<13>Jul  1 12:00:00 h a: x', NOW, zoneFor('Europe/Paris')).ts, ts('2026-07-01T10:00:00Z'));
    assert.equal(ok('<13>Jan  1 12:00:00 h a: x', NOW, zoneFor('Europe/Paris')).ts, ts('2026-01-01T11:00:00Z'));
    assert.equal(ok('<13>Nov 27 12:00:00 h a: x', NOW, zoneFor('-05:00')).ts, ts('2026-11-27T17:00:00Z'));
    assert.throws(() => zoneFor('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  });

  it('accepts ISO timestamps, fractions and a year in the header', () => {
    const m = ok('<13>2026-11-27T10:53:43.986676+02:00 vm app: hi');
    assert.deepEqual([m.ts, m.host, m.app, m.msg], [ts('2026-11-27T08:53:43.986676Z'), 'vm', 'app', 'hi']);
    assert.equal(ok('<13>Nov 27 10:35:48.250 h a: x').ts, ts('2026-11-27T10:35:48.250Z'));
    assert.equal(ok('<13>Nov 27 2025 10:35:48 h a: x').ts, ts('2025-11-27T10:35:48Z'));
  });

  it('without a header keeps the whole text as the message at the receive time', () => {
    const m = ok('<13>just some text');
    assert.deepEqual([m.ts, m.host, m.app, m.msg], [NOW, '', '', 'just some text']);
    const t = ok('<13>myapp: started');
    assert.deepEqual([t.app, t.msg], ['myapp', 'started']);
  });
});

describe('syslog parser: RFC 5424 details', () => {
  it('reads all header fields, nil values and escaped SD values', () => {
    const m = ok('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\"ic\\]a\\\\tion" eventID="1011"][examplePriority@32473 class="high"] An application event');
    assert.deepEqual([m.pri, m.ts, m.host, m.app, m.procid, m.msgid], [165, ts('2003-10-11T22:14:15.003Z'), 'mymachine.example.com', 'evntslog', '1234', 'ID47']);
    assert.deepEqual(m.sd, {
      sd_exampleSDID_32473_iut: '3',
      sd_exampleSDID_32473_eventSource: 'Appl"ic]a\\tion',
      sd_exampleSDID_32473_eventID: '1011',
      sd_examplePriority_32473_class: 'high',
    });
    assert.equal(m.msg, 'An application event');
    const nil = ok('<13>1 - - - - - -');
    assert.deepEqual([nil.ts, nil.host, nil.app, nil.msg], [NOW, '', '', '']);
  });

  it('drops the UTF-8 BOM and turns invalid UTF-8 into U+FFFD', () => {
    const bom = Buffer.concat([Buffer.from('<13>1 2026-11-27T10:00:00Z h a - - - '), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]);
    assert.equal(ok(bom).msg, 'héllo');
    const bad = Buffer.concat([Buffer.from('<13>1 2026-11-27T10:00:00Z h a - - - x'), Buffer.from([0xff, 0xfe]), Buffer.from('y')]);
    assert.equal(ok(bad).msg, 'x\uFFFD\uFFFDy');
  });

  it('refuses bad PRI, broken headers and broken structured data, naming why', () => {
    assert.equal(parse('no pri at all'), 'bad_pri');
    assert.equal(parse('<192>Nov 27 10:35:48 h a: x'), 'bad_pri');
    assert.equal(parse('<1a>x'), 'bad_pri');
    assert.equal(parse('<>x'), 'bad_pri');
    assert.equal(parse('<0013>x'), 'bad_pri');
    assert.equal(parse('<13>1 2026-13-45T99:00:00Z h a - - - x'), 'bad_header');
    assert.equal(parse('<13>1 2026-11-27T10:00:00Z h a - -'), 'bad_header');
    assert.equal(parse('<13>1 2026-11-27T10:00:00Z h a - - [id k="v" x'), 'bad_structured_data');
    assert.equal(parse('<13>1 2026-11-27T10:00:00Z h a - - [id k=v] x'), 'bad_structured_data');
    assert.equal(parse('<13>1 2026-11-27T10:00:00Z h a - - nosd x'), 'bad_structured_data');
  });
});
