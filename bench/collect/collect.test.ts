/**
 * The collection benches' helpers: the generated inputs are what the receivers are told they are
 * (every syslog line parses with Vigil's parser in the stated format, every JSON line is an
 * object), the line counter counts what a writer appends across polls, and /proc sampling reads
 * this very process.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newMessage, parseSyslog } from '../../src/sources/syslog/parse.js';
import { zoneFor } from '../../src/sources/syslog/timestamps.js';
import { writeJsonInput } from './json-input.js';
import { LineCounter } from './line-counter.js';
import { sampleProc } from './proc.js';
import { writeSyslogInput } from './syslog-input.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-collect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'newline terminated');
  return text.slice(0, -1).split('\n');
}

describe('bench inputs', () => {
  for (const format of ['3164', '5424'] as const) {
    it(`RFC ${format}: seeded, ~120 bytes a line, parsed as ${format} with host, app and procid`, async () => {
      const path = join(dir, `in-${format}.log`);
      const bytes = await writeSyslogInput(path, 5000, format);
      const again = join(dir, `again-${format}.log`);
      await writeSyslogInput(again, 5000, format);
      assert.deepEqual(readFileSync(again), readFileSync(path), 'same seed, same bytes');
      const ls = lines(path);
      assert.equal(ls.length, 5000);
      assert.ok(bytes / 5000 > 100 && bytes / 5000 < 150, `average ${bytes / 5000} bytes`);
      const buf = readFileSync(path);
      const m = newMessage();
      const opts = { zone: zoneFor('UTC'), now: Date.UTC(2026, 10, 27, 13) * 1000 };
      const hosts = new Set<string>();
      const apps = new Set<string>();
      const streams = new Set<string>();
      let start = 0;
      for (let i = 0; i < 5000; i++) {
        const end = buf.indexOf(10, start);
        assert.equal(parseSyslog(buf, start, end, opts, m), undefined, `line ${i + 1} parses`);
        assert.equal(m.format, Number(format));
        assert.match(m.host, /^web-\d\d\.prod$/);
        assert.ok(m.app.length > 0 && /^\d+$/.test(m.procid), `line ${i + 1}: app ${m.app} procid ${m.procid}`);
        const ms = Date.UTC(2026, 10, 27, 12) + Math.floor(i / 10);
        assert.equal(m.ts, format === '3164' ? Math.floor(ms / 1000) * 1_000_000 : ms * 1000 + (i % 1000), `line ${i + 1} time`);
        hosts.add(m.host);
        apps.add(m.app);
        streams.add(`${m.host} ${m.app} ${m.pri}`);
        start = end + 1;
      }
      assert.equal(hosts.size, 24);
      assert.equal(apps.size, 8);
      assert.ok(streams.size > 100 && streams.size < 1000, `${streams.size} streams: realistic cardinality`);
    });
  }

  it('JSON lines: ~220 bytes, each an object with level and a nested user', async () => {
    const path = join(dir, 'in.json');
    const bytes = await writeJsonInput(path, 2000);
    const ls = lines(path);
    assert.equal(ls.length, 2000);
    assert.ok(bytes / 2000 > 180 && bytes / 2000 < 260);
    for (const l of ls) {
      const o = JSON.parse(l) as { level: string; user: { id: string } };
      assert.ok(['info', 'debug', 'warn', 'error'].includes(o.level));
      assert.match(o.user.id, /^u\d+$/);
    }
  });
});

describe('LineCounter', () => {
  it('counts complete lines appended between polls, 0 before the file exists', () => {
    const path = join(dir, 'out.log');
    const c = new LineCounter(path);
    assert.equal(c.poll(), 0);
    writeFileSync(path, 'a\nb\npartial');
    assert.equal(c.poll(), 2);
    appendFileSync(path, ' end\n');
    assert.equal(c.poll(), 3);
    appendFileSync(path, 'x\n'.repeat(3_000_000)); // more than one read chunk
    assert.equal(c.poll(), 3_000_003);
    assert.equal(c.bytes, 'a\nb\npartial end\n'.length + 6_000_000);
    c.close();
  });
});

describe('sampleProc', () => {
  it('reads CPU seconds and peak RSS of a live process', () => {
    const end = Date.now() + 150;
    while (Date.now() < end);
    const s = sampleProc(process.pid);
    assert.ok(s.cpuSeconds > 0.1, `cpu ${s.cpuSeconds}`);
    assert.ok(s.peakRssMb >= s.rssMb && s.rssMb > 10);
    assert.throws(() => sampleProc(2 ** 22 + 12345), /ENOENT/);
  });
});
