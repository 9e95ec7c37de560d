import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { conformance } from '../../components/conformance.js';
import { counterValue } from '../../components/testing.js';
import { parseRfc3339 } from '../../core/time.js';
import { deferred, startHttpSource, type RunningSource } from '../shared-http/test-helpers.js';
import def from './index.js';

conformance(def, import.meta.url, { config: () => ({ ...def.example, listen: '127.0.0.1:0' }) });

const SAMPLES = fileURLToPath(new URL('../../../../shared/samples', import.meta.url));

const running: RunningSource[] = [];
async function start(config: Parameters<typeof def.build>[0] = {}): Promise<RunningSource> {
  const r = await startHttpSource(def, config);
  running.push(r);
  return r;
}
after(async () => {
  for (const r of running) await r.stop();
});

describe('http_server source', () => {
  it("stores syslog-ng http()'s NDJSON with timestamps from ISODATE", async () => {
    const s = JSON.parse(readFileSync(join(SAMPLES, 'syslog-ng-http-1.json'), 'utf8')) as { url: string; headers: Record<string, string>; body: string; parsed: Array<Record<string, string>> };
    const r = await start({ path: '/ingest', timestamp_field: 'ISODATE', labels: { source: 'sng' } });
    const res = await fetch(`${r.url}${s.url}`, { method: 'POST', body: s.body, headers: { 'content-type': s.headers['content-type'] ?? '' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: s.parsed.length });
    const recs = r.records();
    assert.deepEqual(recs.map((x) => JSON.parse(x.line)), s.parsed);
    assert.deepEqual(recs.map((x) => x.ts), s.parsed.map((p) => parseRfc3339(p['ISODATE'] as string)));
    assert.deepEqual(recs[0]?.labels, { source: 'sng' });
  });

  it('text decoding with gzip and deflate; no content-type needed', async () => {
    const r = await start({ decoding: 'text' });
    assert.equal((await fetch(`${r.url}/`, { method: 'POST', body: gzipSync('a\nb\n'), headers: { 'content-encoding': 'gzip' } })).status, 200);
    assert.equal((await fetch(`${r.url}/`, { method: 'POST', body: deflateSync('c'), headers: { 'content-encoding': 'deflate' } })).status, 200);
    const br = await fetch(`${r.url}/`, { method: 'POST', body: 'x', headers: { 'content-encoding': 'br' } });
    assert.equal(br.status, 415);
    assert.deepEqual(r.records().map((x) => x.line), ['a', 'b', 'c']);
  });

  it('400 names the bad line and keeps the good ones; 413 for oversize; 404 elsewhere', async () => {
    const r = await start({ max_body_bytes: 100 });
    const res = await fetch(`${r.url}/`, { method: 'POST', body: '{"a":1}\n{"b":\n{"c":3}\n' });
    assert.equal(res.status, 400);
    const j = (await res.json()) as { accepted: number; rejected: number; error: string };
    assert.equal(j.accepted, 2);
    assert.equal(j.rejected, 1);
    assert.match(j.error, /^line 2 \(byte offset 8\): not JSON/);
    assert.deepEqual(r.records().map((x) => x.line), ['{"a":1}', '{"c":3}']);
    assert.equal(await counterValue(r.ctx.registry, 'vigil_component_discarded_events_total', { reason: 'invalid_line' }), 1);
    const big = await fetch(`${r.url}/`, { method: 'POST', body: 'x'.repeat(101) });
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { error: string }).error, /max_body_bytes \(100 bytes\)/);
    assert.equal((await fetch(`${r.url}/other`, { method: 'POST', body: '{}' })).status, 404);
  });

  it('answers after emit resolves, 503 when it rejects, 429 when stopping', async () => {
    const r = await startHttpSource(def, {});
    const gate = deferred();
    r.ctx.onEmit = () => gate.promise;
    let answered = false;
    const p = fetch(`${r.url}/`, { method: 'POST', body: '{"a":1}' }).then((x) => {
      answered = true;
      return x;
    });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(answered, false);
    gate.resolve();
    assert.equal((await p).status, 200);
    r.ctx.onEmit = () => Promise.reject(new Error('down'));
    const fail = await fetch(`${r.url}/`, { method: 'POST', body: '{"a":2}' });
    assert.equal(fail.status, 503);
    assert.equal(fail.headers.get('retry-after'), '1');
    // Stop while a request waits: it is still answered; the listener then refuses new ones.
    const gate2 = deferred();
    r.ctx.onEmit = () => gate2.promise;
    const waiting = fetch(`${r.url}/`, { method: 'POST', body: '{"a":3}' });
    await new Promise((res) => setTimeout(res, 50));
    const stopping = r.stop();
    gate2.resolve();
    assert.equal((await waiting).status, 200);
    await stopping;
    assert.deepEqual(r.records().map((x) => x.line), ['{"a":1}', '{"a":3}']);
  });

  it('serves HTTPS with the configured certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-http-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const r = await startHttpSource(def, { tls: { cert_file: cert, key_file: key }, decoding: 'text' }, 'https');
    try {
      const status = await new Promise<number>((res, rej) => {
        const req = https.request(`${r.url}/`, { method: 'POST', ca: readFileSync(cert), checkServerIdentity: () => undefined }, (resp) => {
          resp.resume();
          resp.on('end', () => res(resp.statusCode ?? 0));
        });
        req.on('error', rej);
        req.end('over tls');
      });
      assert.equal(status, 200);
      assert.deepEqual(r.records().map((x) => x.line), ['over tls']);
    } finally {
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
