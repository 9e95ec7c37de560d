/**
 * Interop: real rsyslog and syslog-ng forward to Vigil's syslog source over TCP and UDP, in RFC 3164
 * and RFC 5424, octet-counted and newline framed. Every message must arrive with the right
 * timestamp, host, app, facility, severity, ids and structured data. Skips (with the reason) when a
 * peer is not installed; CI installs them with `bash .ci/peers.sh`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { counterValue, makeTestContext, type TestContext } from '../../src/components/testing.js';
import { batchToRecords, type LogRecord } from '../../src/core/events.js';
import syslogDef from '../../src/sources/syslog/index.js';
import type { SyslogSource } from '../../src/sources/syslog/syslog-source.js';
import { eventually, startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';
import { freePort, rsyslogMissing, startRsyslog, startSyslogNg, syslogNgMissing, type Forward, type Peer } from './syslog-peers.js';

const N = 60;
const FACILITIES: Array<[number, string]> = [[1, 'user'], [3, 'daemon'], [16, 'local0'], [23, 'local7'], [10, 'authpriv']];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const LEVELS = ['critical', 'critical', 'critical', 'error', 'warn', 'info', 'info', 'debug'];

interface Sent {
  i: number;
  ts: number;
  host: string;
  app: string;
  procid: string;
  msgid: string;
  facility: string;
  severity: string;
  level: string;
  line: string;
}

/** N distinct RFC 5424 messages (newline framed) for the peer's input, and what each should become. */
function messages(tag: string): { wire: string; sent: Sent[] } {
  const base = (Math.floor(Date.now() / 1000) - 300) * 1_000_000;
  const sent: Sent[] = [];
  let wire = '';
  for (let i = 0; i < N; i++) {
    const [fac, facName] = FACILITIES[i % FACILITIES.length] as [number, string];
    const sev = i % 8;
    const ts = base + i * 1_000_000 + 123_456;
    const s: Sent = {
      i, ts, host: `host${i % 3}.example`, app: `app${i % 2}`, procid: String(1000 + i), msgid: `M${i % 4}`,
      facility: facName, severity: SEVERITIES[sev] as string, level: LEVELS[sev] as string,
      line: `interop ${tag} message ${i} with "quotes" and ünïcode`,
    };
    sent.push(s);
    const iso = new Date(Math.floor(ts / 1000)).toISOString().replace(/\.\d{3}Z$/, `.${String(ts % 1_000_000).padStart(6, '0')}Z`);
    wire += `<${fac * 8 + sev}>1 ${iso} ${s.host} ${s.app} ${s.procid} ${s.msgid} [ex@32473 seq="${i}" note="a\\"b\\\\c\\]d"] ${s.line}\n`;
  }
  return { wire, sent };
}

interface Listener {
  forward: Forward;
  ctx: TestContext;
  source: SyslogSource;
  records(): LogRecord[];
}

async function listen(transport: 'tcp' | 'udp', format: '3164' | '5424', framing?: 'octet' | 'newline'): Promise<Listener> {
  const ctx = makeTestContext('source', 'syslog', `interop_${transport}_${format}`);
  const config: Static<typeof syslogDef.schema> = { mode: transport, address: '127.0.0.1:0' };
  const source = syslogDef.build(config, ctx) as SyslogSource;
  await source.start();
  return {
    forward: { port: source.address()?.port as number, transport, format, ...(framing ? { framing } : {}) },
    ctx,
    source,
    records: () => ctx.emitted.flatMap((b) => batchToRecords(b)),
  };
}

/** Every difference between what was sent and what one listener received, as readable lines. */
function differences(l: Listener, sent: Sent[], bsdFraction: boolean): string[] {
  const { transport, format } = l.forward;
  const where = `${transport}/${format}${l.forward.framing ? `/${l.forward.framing}` : ''}`;
  const got = new Map(l.records().map((r) => [r.line, r]));
  const out: string[] = [];
  if (l.records().length !== sent.length) out.push(`${where}: ${l.records().length} entries for ${sent.length} messages`);
  for (const s of sent) {
    const r = got.get(s.line);
    if (!r) {
      out.push(`${where}: message ${s.i} missing`);
      continue;
    }
    const want: Record<string, string> = { host: s.host, app: s.app, facility: s.facility, level: s.level };
    for (const [k, v] of Object.entries(want)) if (r.labels[k] !== v) out.push(`${where} #${s.i}: label ${k}=${r.labels[k]} want ${v}`);
    const f = r.fields ?? {};
    const wantFields: Record<string, string> = { severity: s.severity, procid: s.procid, source_ip: '127.0.0.1' };
    if (format === '5424') Object.assign(wantFields, { msgid: s.msgid, sd_ex_32473_seq: String(s.i), sd_ex_32473_note: 'a"b\\c]d' });
    for (const [k, v] of Object.entries(wantFields)) if (f[k] !== v) out.push(`${where} #${s.i}: field ${k}=${f[k]} want ${v}`);
    // RFC 3164 timestamps carry no fraction in rsyslog's format (syslog-ng adds it with frac-digits).
    const wantTs = format === '3164' && !bsdFraction ? Math.floor(s.ts / 1_000_000) * 1_000_000 : s.ts;
    if (r.ts !== wantTs) out.push(`${where} #${s.i}: ts ${new Date(r.ts / 1000).toISOString()} (${r.ts}) want ${wantTs}`);
  }
  return out;
}

async function runPeer(name: string, startPeer: (inPort: number, f: Forward[]) => Promise<Peer>, bsdFraction: boolean): Promise<void> {
  const listeners = [
    await listen('tcp', '5424', 'octet'), await listen('tcp', '5424', 'newline'), await listen('tcp', '3164'),
    await listen('udp', '3164'), await listen('udp', '5424'),
  ];
  let peer: Peer | undefined;
  try {
    peer = await startPeer(await freePort(), listeners.map((l) => l.forward));
    const { wire, sent } = messages(name);
    await peer.send(wire);
    const p = peer;
    await eventually(async () => listeners.every((l) => l.records().length >= N), 20_000, `all ${N} messages at every listener`).catch((e: Error) => {
      throw new Error(`${e.message}; got ${listeners.map((l) => `${l.forward.transport}/${l.forward.format}=${l.records().length}`).join(' ')}; ${p.name} said: ${p.output()}`);
    });
    await new Promise((r) => setTimeout(r, 200)); // duplicates would show up now
    const diffs = listeners.flatMap((l) => differences(l, sent, bsdFraction));
    assert.deepEqual(diffs.slice(0, 30), [], `${diffs.length} differences`);
    for (const l of listeners) {
      const errs = await counterValue(l.ctx.registry, 'vigil_component_errors_total');
      assert.equal(errs, 0, `${l.forward.transport}/${l.forward.format}: no frame refused`);
    }
  } finally {
    await peer?.stop();
    for (const l of listeners) {
      await l.source.stop();
      l.ctx.cleanup();
    }
  }
}

describe('syslog interop with real daemons', () => {
  const rsMissing = rsyslogMissing();
  const sngMissing = syslogNgMissing();

  it('rsyslog omfwd → Vigil: TCP RFC 5424 octet-counted and newline, TCP RFC 3164, UDP RFC 3164 and RFC 5424', { skip: rsMissing, timeout: 60_000 }, async () => {
    await runPeer('rsyslog', startRsyslog, false);
  });

  it('syslog-ng network() and syslog() → Vigil over TCP and UDP', { skip: sngMissing, timeout: 60_000 }, async () => {
    await runPeer('syslog-ng', startSyslogNg, true);
  });

  describe('rsyslog → `vigil run` (a real process) → LogQL', () => {
    const children: VigilChild[] = [];
    let peer: Peer | undefined;
    after(async () => {
      await peer?.stop();
      for (const c of children) await c.stop('SIGKILL');
    });

    it('stores what rsyslog forwarded and answers it over the Loki API', { skip: rsMissing, timeout: 120_000 }, async () => {
      const dir = tempDir('vigil-syslog-interop-');
      const port = await freePort();
      const v = await startVigilProcess(dir, `server:
  listen: 127.0.0.1:0
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
  level: info
sources:
  syslog_in:
    type: syslog
    mode: tcp
    address: 127.0.0.1:${port}
    labels: { service: relay }
`);
      children.push(v);
      peer = await startRsyslog(await freePort(), [{ port, transport: 'tcp', format: '5424' }]);
      const { wire, sent } = messages('vigil-run');
      await peer.send(wire);
      const params = () => new URLSearchParams({
        query: '{service="relay"} |= "interop vigil-run"', limit: '1000',
        start: String((Date.now() - 3600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6), direction: 'forward',
      });
      type Body = { data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> } };
      const body = await eventually(async () => {
        const res = await fetch(`${v.url}/loki/api/v1/query_range?${params()}`);
        if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
        const b = (await res.json()) as Body;
        return b.data.result.reduce((n, s) => n + s.values.length, 0) >= N ? b : undefined;
      }, 30_000, `${N} entries queryable; rsyslog said: ${peer.output()}`);
      const byLine = new Map<string, { stream: Record<string, string>; ns: string }>();
      for (const s of body.data.result) for (const [ns, line] of s.values) byLine.set(line, { stream: s.stream, ns });
      assert.equal(byLine.size, N);
      for (const s of sent) {
        const r = byLine.get(s.line);
        assert.ok(r, `message ${s.i} stored`);
        assert.equal(r.ns, `${s.ts}000`, `message ${s.i} timestamp`);
        assert.equal(r.stream['service'], 'relay');
        assert.equal(r.stream['host'], s.host);
        assert.equal(r.stream['app'], s.app);
        assert.equal(r.stream['level'], s.level);
        assert.equal(r.stream['facility'], s.facility);
        // procid is structured metadata: LogQL shows it beside the labels (as Loki 3 does)...
        assert.equal(r.stream['procid'], String(1000 + s.i), `message ${s.i} procid`);
      }
      // ...but it is not part of any stream's identity.
      const series = await fetch(`${v.url}/loki/api/v1/series?${new URLSearchParams({ 'match[]': '{service="relay"}' })}`);
      const streams = ((await series.json()) as { data: Array<Record<string, string>> }).data;
      assert.ok(streams.length > 0);
      for (const st of streams) assert.equal(st['procid'], undefined, 'procid is not a stream label');
    });
  });
});
