/**
 * Interop: real rsyslog (omelasticsearch) and syslog-ng (elasticsearch-http()) ship to Vigil's
 * `elasticsearch` source, built from its definition with a context whose `emit` appends to a real
 * LogStore (the source is not registered yet, so no `vigil run`). Every document must arrive with
 * its content and timestamp, and both retry paths must end with every document stored: when the
 * pipeline refuses a batch (503) and when the source is saturated (429).
 *
 * What the peers do, as observed here (rsyslog 8.2302, syslog-ng 3.38):
 * - syslog-ng's http() retries a request answered 429 or 5xx (time-reopen apart) and ignores the
 *   body, so per-item errors in a 200 answer would be lost with it.
 * - rsyslog's omelasticsearch ignores the HTTP status and reads only the bulk `items`: an answer
 *   without `items` is a data failure (written to `errorfile`, never retried). So the source
 *   lists every item with the 429/503 status, and rsyslog resubmits them through
 *   `retryfailures` + `retryruleset`; the resubmitted message carries the original document in
 *   `$!`, so the retry ruleset sends `$!all-json` as is. An item that fails again inside its own
 *   retry ruleset is written to that action's `errorfile` instead of being resubmitted once more,
 *   so the retry action waits a second before each batch (`queue.dequeueSlowdown`).
 * - An item refused with 400 because its document is not a JSON object cannot be turned back into
 *   a message: rsyslog writes it, with Vigil's per-item answer, to `errorfile`.
 *
 * Skips (with the reason) when a peer is missing; CI installs them with `bash .ci/peers.sh`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { counterValue, makeTestContext, type TestContext } from '../../src/components/testing.js';
import { parseRfc3339 } from '../../src/core/time.js';
import esDef, { type ElasticsearchSource } from '../../src/sources/elasticsearch/index.js';
import { defaultLogStoreConfig, LogStore } from '../../src/store/logs/index.js';
import { DEFAULT_TENANT } from '../../src/store/interfaces.js';
import { eventually } from '../support/vigil-process.js';
import { freePort, rsyslogMissing, syslogNgMissing } from './syslog-peers.js';

const SNG_ROOT = '/opt/vigil-peers/syslog-ng';
const SNG_ENV = {
  LD_LIBRARY_PATH: [join(SNG_ROOT, 'usr/lib/x86_64-linux-gnu'), join(SNG_ROOT, 'lib/x86_64-linux-gnu'), join(SNG_ROOT, 'usr/lib/syslog-ng')].join(':'),
};
const SNG_ES_SCL = join(SNG_ROOT, 'usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf');
const N = 40;

function omelasticsearchMissing(): string | undefined {
  const why = rsyslogMissing();
  if (why) return why;
  const r = spawnSync('sh', ['-c', 'ls /usr/lib/*/rsyslog/omelasticsearch.so /usr/lib/rsyslog/omelasticsearch.so 2>/dev/null'], { encoding: 'utf8' });
  return r.stdout.trim() ? undefined : 'rsyslog omelasticsearch is not installed (apt-get install rsyslog-elasticsearch; run `bash .ci/peers.sh`)';
}

function sngHttpMissing(): string | undefined {
  const why = syslogNgMissing();
  if (why) return why;
  if (!existsSync(join(SNG_ROOT, 'usr/lib/syslog-ng/3.38/libhttp.so'))) return `syslog-ng's http module is not extracted under ${SNG_ROOT} (syslog-ng-mod-http; run \`bash .ci/peers.sh\`)`;
  if (!existsSync(SNG_ES_SCL)) return `syslog-ng's SCL (elasticsearch-http()) is not extracted under ${SNG_ROOT} (syslog-ng-scl; run \`bash .ci/peers.sh\`)`;
  return undefined;
}

/** The source on a free port, emitting into a real LogStore; `gate` decides what each emit does. */
interface Vigil {
  ctx: TestContext;
  source: ElasticsearchSource;
  port: number;
  store: LogStore;
  /** Emits rejected so far by `rejectNext`. */
  rejected: number;
  /** Reject this many upcoming emits (the pipeline refused the batch → 503). */
  rejectNext: number;
  /** When set, emits wait for it (the pipeline is slow). */
  hold: Promise<void> | undefined;
  /** Set once the holder's batch reached emit (it owns the in-flight slot). */
  holding: boolean;
  messages(): Promise<Array<{ ts: number; doc: Record<string, unknown> }>>;
  close(): Promise<void>;
}

async function startVigil(maxInflight = 64): Promise<Vigil> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-es-interop-'));
  const store = await LogStore.open({ dir, config: defaultLogStoreConfig(), logger: pino({ level: 'silent' }), registry: new Registry(), scanWorkers: 0 });
  const ctx = makeTestContext('source', 'elasticsearch', 'interop_es');
  const v: Vigil = {
    ctx, store, port: 0, rejected: 0, rejectNext: 0, hold: undefined, holding: false,
    source: esDef.build({ listen: '127.0.0.1:0', max_inflight_requests: maxInflight }, ctx) as ElasticsearchSource,
    async messages() {
      const out: Array<{ ts: number; doc: Record<string, unknown> }> = [];
      for await (const e of store.select({ tenant: DEFAULT_TENANT, matchers: [{ name: 'index', op: '=', value: 'peers-logs' }], start: 0, end: Date.now() * 1000 + 3600e6, direction: 'forward', order: 'time' })) {
        e.lines.forEach((l, i) => out.push({ ts: e.ts[i] as number, doc: JSON.parse(l) as Record<string, unknown> }));
      }
      return out;
    },
    async close() {
      await v.source.stop();
      await store.stop();
      ctx.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  ctx.onEmit = async (batch) => {
    if (batch.streams.some((st) => st.labels['index'] === 'holder')) v.holding = true;
    if (v.hold) await v.hold;
    if (v.rejectNext > 0) {
      v.rejectNext--;
      v.rejected++;
      throw new Error('test: the pipeline refused the batch');
    }
    const r = await store.append(DEFAULT_TENANT, batch);
    if (r.rejected.length > 0) throw new Error(`store refused: ${JSON.stringify(r.rejected)}`);
  };
  await v.source.start();
  v.port = v.source.address()?.port as number;
  return v;
}

interface Peer {
  proc: ChildProcess;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

async function spawnPeer(name: string, bin: string, args: string[], env: Record<string, string>, dir: string, inPort: number): Promise<Peer> {
  const proc = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const peer: Peer = {
    proc, dir,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await eventually(async () => {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${out}`);
    return new Promise<boolean>((res) => {
      const s = net.connect({ host: '127.0.0.1', port: inPort }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
  }, 15_000, `${name} listening on ${inPort}`).catch(async (e: unknown) => {
    await peer.stop();
    throw e;
  });
  return peer;
}

/** rsyslog: imtcp on inPort → omelasticsearch (bulk, ES 8) with the retry ruleset described above. */
async function startRsyslog(inPort: number, esPort: number): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-es-'));
  // The retry action waits a second before each batch (dequeueSlowdown, in µs): a resubmitted
  // item that fails again is not resubmitted again but written to its errorfile.
  const es = (ruleset: string, template: string, errfile: string, slow = false): string =>
    `action(type="omelasticsearch" server="127.0.0.1" serverport="${esPort}" template="${template}" searchIndex="peers-logs" bulkmode="on" esVersion.major="8" retryfailures="on" retryruleset="${ruleset}" errorfile="${join(dir, errfile)}" action.resumeRetryCount="-1" action.resumeInterval="1"${slow ? ' queue.type="LinkedList" queue.dequeueSlowdown="1000000"' : ''})`;
  writeFileSync(join(dir, 'rsyslog.conf'), `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
module(load="omelasticsearch")
template(name="es" type="string" string="{\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\",\\"host\\":\\"%hostname%\\",\\"app\\":\\"%app-name%\\",\\"message\\":\\"%msg:::json%\\"}")
template(name="es_not_object" type="string" string="\\"%msg:::json%\\"")
template(name="es_echo" type="list") { property(name="$!all-json") }
template(name="dead" type="string" string="%$.omes!status% %msg%\\n")
input(type="imtcp" address="127.0.0.1" port="${inPort}" ruleset="in")
ruleset(name="in") {
  if $msg contains "NOT-AN-OBJECT" then {
    ${es('es_retry', 'es_not_object', 'errors-bad.json')}
  } else {
    ${es('es_retry', 'es', 'errors.json')}
  }
}
ruleset(name="es_retry") {
  if ($.omes!status == 400) or ($.omes!status < 200) then {
    action(type="omfile" file="${join(dir, 'dead.log')}" template="dead")
    stop
  }
  ${es('es_retry', 'es_echo', 'errors-retry.json', true)}
}
`);
  return spawnPeer('rsyslog', 'rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], {}, dir, inPort);
}

/** syslog-ng: network() TCP input on inPort → elasticsearch-http() with retries. */
async function startSyslogNg(inPort: number, esPort: number): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sng-es-'));
  writeFileSync(join(dir, 'syslog-ng.conf'), `@version: 3.38
@include "${SNG_ES_SCL}"
options { stats-freq(0); time-reopen(1); keep-hostname(yes); keep-timestamp(yes); frac-digits(6); send-time-zone("+00:00"); };
source s_in { network(ip("127.0.0.1") port(${inPort}) transport("tcp") flags(syslog-protocol)); };
destination d_es { elasticsearch-http(url("http://127.0.0.1:${esPort}/_bulk") index("peers-logs") type("") workers(1) batch-lines(10) batch-timeout(200) timeout(5) retries(1000)); };
log { source(s_in); destination(d_es); };
`);
  return spawnPeer('syslog-ng', join(SNG_ROOT, 'usr/sbin/syslog-ng'), [
    '-f', join(dir, 'syslog-ng.conf'), '-F', '--no-caps', '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl'),
    '--module-path', join(SNG_ROOT, 'usr/lib/syslog-ng/3.38'),
  ], SNG_ENV, dir, inPort);
}

interface Sent { ts: number; host: string; app: string; msg: string }

/** N RFC 5424 messages (newline framed) with distinct times, hosts and texts. */
function messages(tag: string, n = N): { wire: string; sent: Sent[] } {
  const base = (Math.floor(Date.now() / 1000) - 600) * 1_000_000;
  const sent: Sent[] = [];
  let wire = '';
  for (let i = 0; i < n; i++) {
    const s: Sent = { ts: base + i * 1_000_000 + 250_000, host: `host${i % 3}.example`, app: `app${i % 2}`, msg: `${tag} doc ${i} with "quotes" and ünïcode` };
    sent.push(s);
    const iso = new Date(s.ts / 1000).toISOString().replace(/Z$/, '000Z');
    wire += `<14>1 ${iso} ${s.host} ${s.app} - - - ${s.msg}\n`;
  }
  return { wire, sent };
}

function sendTcp(port: number, data: string): Promise<void> {
  return new Promise((res, rej) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('error', rej);
    s.on('close', () => res());
  });
}

/**
 * Holds the source's only in-flight slot with a bulk request of the test's own until released.
 * Retries the holder while a peer's request has the slot (it is answered 429 at once).
 */
async function saturate(v: Vigil): Promise<{ release: () => Promise<void> }> {
  let open!: () => void;
  v.hold = new Promise<void>((r) => (open = r));
  v.holding = false;
  let held: Promise<Response> | undefined;
  await eventually(async () => {
    const attempt = fetch(`http://127.0.0.1:${v.port}/_bulk`, { method: 'POST', body: '{"index":{"_index":"holder"}}\n{"m":"holds the slot"}\n' });
    const quick = await Promise.race([attempt.then((r) => r.status), new Promise<'pending'>((r) => setTimeout(() => r('pending'), 300))]);
    if (quick === 'pending' && v.holding) {
      held = attempt;
      return true;
    }
    return false;
  }, 10_000, 'the holding request to take the slot');
  return {
    async release() {
      v.hold = undefined;
      open();
      assert.equal((await (held as Promise<Response>)).status, 200);
    },
  };
}

async function waitAll(v: Vigil, sent: Sent[], peer: Peer, timeoutMs = 30_000): Promise<Array<{ ts: number; doc: Record<string, unknown> }>> {
  return eventually(async () => {
    const got = await v.messages();
    const want = new Set(sent.map((s) => s.msg));
    const have = new Set(got.map((g) => String(g.doc['message'] ?? g.doc['MESSAGE'])));
    return [...want].every((m) => have.has(m)) ? got : undefined;
  }, timeoutMs, `all ${sent.length} documents stored (peer output: ${peer.output().slice(-800)})`);
}

const rsMissing = omelasticsearchMissing();
describe('rsyslog omelasticsearch → Vigil elasticsearch source', { skip: rsMissing ? `skipped: ${rsMissing}` : false }, () => {
  let v: Vigil;
  let peer: Peer;
  before(async () => {
    v = await startVigil(1);
    peer = await startRsyslog(await freePort(), v.port);
  });
  after(async () => {
    await peer?.stop();
    await v?.close();
  });

  it('stores every document with its content and timestamp', async () => {
    const { wire, sent } = messages('rs-plain');
    await sendTcp(inPortOf(peer), wire);
    const got = await waitAll(v, sent, peer);
    for (const s of sent) {
      const matches = got.filter((g) => g.doc['message'] === s.msg);
      assert.equal(matches.length, 1, `exactly once: ${s.msg}`);
      const g = matches[0] as { ts: number; doc: Record<string, unknown> };
      assert.equal(g.doc['host'], s.host);
      assert.equal(g.doc['app'], s.app);
      assert.equal(g.ts, s.ts, `timestamp of ${s.msg}`);
      assert.equal(parseRfc3339(String(g.doc['@timestamp'])), s.ts);
    }
  });

  it('retries the items of a batch the pipeline refused (503) until all are stored', async () => {
    v.rejectNext = 1;
    const { wire, sent } = messages('rs-refused');
    await sendTcp(inPortOf(peer), wire);
    const got = await waitAll(v, sent, peer);
    assert.equal(v.rejected, 1, 'the pipeline refused a batch');
    assert.ok(!existsSync(join(peer.dir, 'errors.json')) && !existsSync(join(peer.dir, 'errors-retry.json')), 'nothing reached an errorfile');
    for (const s of sent) assert.ok(got.some((g) => g.doc['message'] === s.msg && g.doc['host'] === s.host), s.msg);
  });

  it('retries the items answered 429 while the source is saturated until all are stored', async () => {
    const before429 = await counterValue(v.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'saturated' });
    const slot = await saturate(v);
    const { wire, sent } = messages('rs-saturated');
    await sendTcp(inPortOf(peer), wire);
    await eventually(async () => (await counterValue(v.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'saturated' })) > before429, 15_000, 'a 429 answer');
    await slot.release();
    const got = await waitAll(v, sent, peer);
    assert.ok(!existsSync(join(peer.dir, 'errors.json')) && !existsSync(join(peer.dir, 'errors-retry.json')), 'nothing reached an errorfile');
    for (const s of sent) assert.ok(got.some((g) => g.doc['message'] === s.msg && g.doc['host'] === s.host), s.msg);
  });

  it('writes items refused with 400 (not a JSON object) to its errorfile and stores the rest', async () => {
    // rsyslog cannot turn a failed item whose document is not a JSON object back into a message,
    // so it does not resubmit it: the request and Vigil's per-item answer land in `errorfile`.
    const { wire, sent } = messages('rs-mixed', 10);
    const bad = sent.filter((_, i) => i % 5 === 0);
    const good = sent.filter((_, i) => i % 5 !== 0);
    const marked = wire.split('\n').map((l, i) => (i % 5 === 0 && l ? l.replace('rs-mixed', 'NOT-AN-OBJECT rs-mixed') : l)).join('\n');
    await sendTcp(inPortOf(peer), marked);
    await waitAll(v, good, peer);
    const errfile = join(peer.dir, 'errors-bad.json');
    const items = await eventually(async () => {
      if (!existsSync(errfile)) return undefined;
      const found: Array<{ status: number; error: { type: string; reason: string } }> = [];
      for (const l of readFileSync(errfile, 'utf8').split('\n').filter(Boolean)) {
        const rec = JSON.parse(l) as { reply: { items: Array<{ index: { status: number; error: { type: string; reason: string } } }> } };
        for (const it of rec.reply.items) found.push(it.index);
      }
      return found.length >= bad.length ? found : undefined;
    }, 15_000, 'the errorfile with the refused items');
    assert.equal(items.length, bad.length);
    for (const it of items) {
      assert.equal(it.status, 400);
      assert.equal(it.error.type, 'mapper_parsing_exception');
      assert.match(it.error.reason, /line \d+ is not a JSON object but a string/);
    }
    assert.equal((await v.messages()).filter((g) => String(g.doc['message'] ?? '').includes('NOT-AN-OBJECT')).length, 0);
  });
});

const sngMissing = sngHttpMissing();
describe('syslog-ng elasticsearch-http() → Vigil elasticsearch source', { skip: sngMissing ? `skipped: ${sngMissing}` : false }, () => {
  let v: Vigil;
  let peer: Peer;
  before(async () => {
    v = await startVigil(1);
    peer = await startSyslogNg(await freePort(), v.port);
  });
  after(async () => {
    await peer?.stop();
    await v?.close();
  });

  it('stores every document with its content and timestamp', async () => {
    const { wire, sent } = messages('sng-plain');
    await sendTcp(inPortOf(peer), wire);
    const got = await waitAll(v, sent, peer);
    for (const s of sent) {
      const matches = got.filter((g) => g.doc['MESSAGE'] === s.msg);
      assert.equal(matches.length, 1, `exactly once: ${s.msg}`);
      const g = matches[0] as { ts: number; doc: Record<string, unknown> };
      assert.equal(g.doc['HOST'], s.host);
      assert.equal(g.doc['PROGRAM'], s.app);
      assert.equal(g.ts, s.ts, `timestamp of ${s.msg}`);
    }
  });

  it('retries a request answered 503 (pipeline refused) until all are stored', async () => {
    v.rejectNext = 2;
    const { wire, sent } = messages('sng-refused');
    await sendTcp(inPortOf(peer), wire);
    await waitAll(v, sent, peer);
    assert.equal(v.rejected, 2);
  });

  it('retries a request answered 429 (saturated) until all are stored', async () => {
    const before429 = await counterValue(v.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'saturated' });
    const slot = await saturate(v);
    const { wire, sent } = messages('sng-saturated');
    await sendTcp(inPortOf(peer), wire);
    await eventually(async () => (await counterValue(v.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'saturated' })) > before429, 15_000, 'a 429 answer');
    await slot.release();
    await waitAll(v, sent, peer);
  });
});

/** The TCP input port a peer was started with (kept in its spawn args via the config dir). */
function inPortOf(peer: Peer): number {
  const conf = readFileSync(join(peer.dir, existsSync(join(peer.dir, 'rsyslog.conf')) ? 'rsyslog.conf' : 'syslog-ng.conf'), 'utf8');
  const m = /port="(\d+)" ruleset="in"|network\(ip\("127\.0\.0\.1"\) port\((\d+)\)/.exec(conf);
  return Number(m?.[1] ?? m?.[2]);
}
