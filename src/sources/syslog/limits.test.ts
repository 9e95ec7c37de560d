import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { counterValue } from '../../components/testing.js';
import { sleep, startSyslog, type Running } from './test-helpers.js';

const running: Running[] = [];
async function start(config: Parameters<typeof startSyslog>[0]): Promise<Running> {
  const r = await startSyslog(config);
  running.push(r);
  return r;
}
after(async () => {
  for (const r of running) await r.close();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => res(s));
    s.on('error', rej);
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((res) => (s.destroyed ? res() : s.on('close', () => res())));
}

const discarded = (r: Running, reason: string) => counterValue(r.ctx.registry, 'vigil_component_discarded_events_total', { reason });
const errors = (r: Running) => counterValue(r.ctx.registry, 'vigil_component_errors_total', { stage: 'receiving' });
const received = (r: Running) => counterValue(r.ctx.registry, 'vigil_component_received_events_total');

describe('syslog source: bad input and limits', () => {
  it('counts and skips malformed frames without dropping the connection', async () => {
    const r = await start({ mode: 'tcp' });
    const s = await connect(r.port);
    s.write('no pri here\n');
    s.write('<13>Nov 27 10:00:00 h a: one\n');
    s.write('12x <13>non-numeric length\n');
    s.write('<999>bad pri value\n');
    s.write(Buffer.concat([Buffer.from('<13>Nov 27 10:00:00 h a: bad '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' bytes\n')]));
    s.write('<13>1 2026-11-27T10:00:00Z h a - - [broken sd\n');
    s.write('<13>Nov 27 10:00:00 h a: two\n');
    s.end('50 <13>1 2026-11-27T10:00:00Z h a - - - cut'); // the count promises more than comes
    await closed(s);
    const recs = await r.waitFor(3);
    await sleep(50);
    assert.deepEqual(r.records().map((x) => x.line), ['one', 'bad \uFFFD(\uFFFD bytes', 'two']);
    assert.equal(await discarded(r, 'bad_pri'), 2);
    assert.equal(await discarded(r, 'bad_octet_count'), 1);
    assert.equal(await discarded(r, 'bad_structured_data'), 1);
    assert.equal(await discarded(r, 'truncated_frame'), 1);
    assert.equal(await errors(r), 5);
    assert.equal(recs.length, 3);
  });

  it('truncates messages over max_message_size and counts them', async () => {
    const r = await start({ mode: 'tcp', max_message_size: 64 });
    const s = await connect(r.port);
    s.end(`<13>Nov 27 10:00:00 h a: ${'z'.repeat(500)}\n<13>Nov 27 10:00:00 h a: short\n`);
    const recs = await r.waitFor(2);
    assert.equal(recs[0]?.line, 'z'.repeat(64 - '<13>Nov 27 10:00:00 h a: '.length));
    assert.equal(recs[1]?.line, 'short');
    assert.equal(await discarded(r, 'message_truncated'), 1);
  });

  it('pauses reading a TCP connection while its batch is being emitted (backpressure)', async () => {
    const r = await start({ mode: 'tcp', batch_max_lines: 100 });
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    let emits = 0;
    r.ctx.onEmit = async () => {
      emits++;
      await gate;
    };
    const s = await connect(r.port);
    const total = 200_000;
    const line = '<13>Nov 27 10:00:00 h a: ' + 'p'.repeat(100) + '\n';
    const chunk = line.repeat(1000);
    let written = 0;
    const writeAll = (async () => {
      for (let i = 0; i < total / 1000; i++) {
        written += 1000;
        if (!s.write(chunk)) await new Promise((res) => s.once('drain', res));
      }
      s.end();
    })();
    await sleep(300);
    const first = await received(r);
    await sleep(300);
    const second = await received(r);
    assert.equal(emits, 1, 'one emit pending, none started beside it');
    assert.equal(second, first, 'nothing more is read while the emit is pending');
    assert.ok(first < total / 4, `read ${first} of ${total} while blocked`);
    assert.ok(written < total, 'the sender is held back by TCP flow control');
    release();
    await writeAll;
    await r.waitFor(total, 30_000);
    assert.equal(r.records().length, total);
  });

  it('UDP: a bounded queue while an emit is pending; datagrams beyond it are dropped and counted', async () => {
    const r = await start({ mode: 'udp', batch_max_lines: 1, udp_max_queued: 10 });
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    r.ctx.onEmit = () => gate;
    const c = dgram.createSocket('udp4');
    for (let i = 0; i < 50; i++) {
      await new Promise<void>((res, rej) => c.send(`<13>Nov 27 10:00:00 h a: m${i}`, r.port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    }
    c.close();
    // Every datagram must have been taken off the socket before the emit is released (a loaded
    // machine may need more than a moment).
    let dropped = 0;
    for (let waited = 0; waited < 10_000; waited += 50) {
      dropped = await discarded(r, 'queue_full');
      if (dropped >= 39) break;
      await sleep(50);
    }
    release();
    await sleep(100);
    const got = r.records().length;
    assert.equal(got, 11, 'the batch in flight plus a full queue');
    assert.equal(dropped, 39);
    assert.deepEqual(r.records().slice(0, 3).map((x) => x.line), ['m0', 'm1', 'm2']);
  });

  it('refuses connections beyond max_connections and keeps serving the others', async () => {
    const r = await start({ mode: 'tcp', max_connections: 1 });
    const a = await connect(r.port);
    await sleep(20);
    const b = await connect(r.port);
    await closed(b);
    assert.equal(await errors(r), 1);
    a.end('<13>Nov 27 10:00:00 h a: still served\n');
    const recs = await r.waitFor(1);
    assert.equal(recs[0]?.line, 'still served');
  });

  it('closes idle connections after idle_timeout, delivering what they sent', async () => {
    const r = await start({ mode: 'tcp', idle_timeout: '200ms' });
    const s = await connect(r.port);
    s.write('<13>Nov 27 10:00:00 h a: then silence\n');
    const t0 = Date.now();
    await closed(s);
    const took = Date.now() - t0;
    assert.ok(took >= 150 && took < 2000, `closed after ${took} ms`);
    const recs = await r.waitFor(1);
    assert.equal(recs[0]?.line, 'then silence');
    for (let i = 0; i < 100 && r.source.connections() > 0; i++) await sleep(10);
    assert.equal(r.source.connections(), 0);
  });
});
