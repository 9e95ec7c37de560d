import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SyslogFramer } from './framer.js';

interface Out {
  frames: string[];
  truncated: boolean[];
  problems: string[];
}

function run(chunks: Buffer[], max = 1024): Out {
  const out: Out = { frames: [], truncated: [], problems: [] };
  const f = new SyslogFramer(max, {
    frame: (b, s, e, t) => {
      out.frames.push(b.toString('utf8', s, e));
      out.truncated.push(t);
    },
    problem: (k, d) => out.problems.push(`${k}: ${d}`),
  });
  for (const c of chunks) f.push(c);
  f.end();
  return out;
}

/** Every way of cutting `raw` in two, plus byte-by-byte. */
function splits(raw: Buffer): Buffer[][] {
  const out: Buffer[][] = [[raw]];
  for (let i = 1; i < raw.length; i++) out.push([raw.subarray(0, i), raw.subarray(i)]);
  out.push([...raw].map((b) => Buffer.from([b])));
  return out;
}

describe('syslog framer (RFC 6587)', () => {
  it('splits the rsyslog octet-counted capture the same however the stream is chunked', () => {
    const raw = readFileSync(fileURLToPath(new URL('../../../../shared/samples/rsyslog-omfwd-rfc5424-sample.txt', import.meta.url)));
    for (const chunks of splits(raw)) {
      const out = run(chunks);
      assert.equal(out.frames.length, 6);
      assert.deepEqual(out.problems, []);
      assert.match(out.frames[1] as string, /^<156>1 .*\[zoo@123 tiger="hungry"\] fwd test 2 .*SD\n$/);
    }
  });

  it('detects the framing per frame: octet-counted and newline frames mixed on one stream', () => {
    const raw = Buffer.from('<13>first line\n10 <13>octet\n<13>third\r\n9 <13>a\nb c<13>last no newline');
    for (const chunks of splits(raw)) {
      const out = run(chunks);
      assert.deepEqual(out.frames, ['<13>first line', '<13>octet\n', '<13>third\r', '<13>a\nb c', '<13>last no newline']);
      assert.deepEqual(out.problems, []);
    }
  });

  it('skips a non-numeric or oversized length to the next LF and carries on', () => {
    const out = run([Buffer.from('12x <13>bad\n<13>good 1\n1234567890 <13>too long a count\n0 \n<13>good 2\n')]);
    assert.deepEqual(out.frames, ['<13>good 1', '<13>good 2']);
    assert.equal(out.problems.length, 3);
    assert.match(out.problems[0] as string, /^bad_octet_count: byte 0: expected "<length> <message>", got "12x <13>bad/);
    assert.match(out.problems[1] as string, /^bad_octet_count: byte 23:/);
  });

  it('reports an octet-counted frame cut short by the end of the stream', () => {
    const out = run([Buffer.from('<13>ok\n100 <13>only part of it')]);
    assert.deepEqual(out.frames, ['<13>ok']);
    assert.equal(out.problems.length, 1);
    assert.match(out.problems[0] as string, /^truncated_frame: byte 7: the connection closed inside an octet-counted frame/);
  });

  it('truncates messages over the limit in both framings, skipping the rest, and resynchronises', () => {
    const long = 'x'.repeat(100);
    const raw = Buffer.from(`<13>${long}\n<13>next\n104 <13>${long}<13>after\n`);
    for (const chunks of [[raw], [...raw].map((b) => Buffer.from([b]))]) {
      const out = run(chunks, 32);
      assert.deepEqual(out.frames, [`<13>${long}`.slice(0, 32), '<13>next', `<13>${long}`.slice(0, 32), '<13>after']);
      assert.deepEqual(out.truncated, [true, false, true, false]);
      assert.deepEqual(out.problems, []);
    }
  });

  it('keeps memory bounded: a huge line without LF is cut at the limit, not buffered', () => {
    const out: string[] = [];
    const f = new SyslogFramer(64, { frame: (b, s, e) => out.push(b.toString('utf8', s, e)), problem: () => {} });
    for (let i = 0; i < 1000; i++) f.push(Buffer.from('<13>' + 'y'.repeat(1000)));
    f.push(Buffer.from('\n<13>z\n'));
    assert.equal(out.length, 2);
    assert.equal(out[0]?.length, 64);
    assert.equal(out[1], '<13>z');
  });

  it('costs linear time for a big frame trickling in byte by byte, and keeps error offsets right', () => {
    const body = '<13>' + 'q'.repeat(256 * 1024);
    const raw = Buffer.from(`${body.length} ${body}<13>nl frame\n12x bad\n`);
    const t0 = performance.now();
    const out = run([...raw].map((b) => Buffer.from([b])), 1024 * 1024);
    assert.ok(performance.now() - t0 < 5000, 'not quadratic');
    assert.equal(out.frames.length, 2);
    assert.equal(out.frames[0]?.length, body.length);
    assert.equal(out.frames[1], '<13>nl frame');
    assert.equal(out.problems.length, 1);
    assert.match(out.problems[0] as string, new RegExp(`^bad_octet_count: byte ${raw.length - 8}:`));
  });
});
