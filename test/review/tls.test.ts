// Review: `server.tls` (cert_file, key_file) is accepted by the schema and `vigil run` announces an
// https:// URL, but the server is built without TLS: it speaks plain HTTP, so API tokens (required
// when exposed) travel in clear text while the user believes the API is encrypted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startVigilProcess, tempDir, type VigilChild } from '../support/vigil-process.js';

function httpsStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('review: server.tls', () => {
  const children: VigilChild[] = [];
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
  });

  it('serves HTTPS with the configured certificate', { timeout: 90_000 }, async () => {
    const dir = tempDir('vigil-review-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const token = 'review-token-0123456789abcdef';
    const v = await startVigilProcess(dir, `server:
  listen: 127.0.0.1:0
  tls:
    cert_file: ${cert}
    key_file: ${key}
  auth:
    tokens: ["${token}"]
storage:
  path: ${join(dir, 'data')}
logging:
  format: json
sources: {}
sinks: {}
`);
    children.push(v);
    assert.match(v.url, /^https:\/\//, 'vigil announces an https URL');
    assert.equal(await httpsStatus(`${v.url}/loki/api/v1/labels`, token), 200);
    await v.stop();
  });
});
