/**
 * Interop: the real blackbox_exporter and Vigil's probers probe the same loopback targets (up,
 * 404, slow past the timeout, refused, trusted and expired certificates, DNS): same verdict and
 * the same values for the metric names both report. Skips (with the reason) when
 * prometheus-blackbox-exporter is not installed; CI installs it with `bash .ci/peers.sh`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { ProbeDefinition, ProbeOutcome } from '../../src/monitor/probe.js';
import dnsProbe from '../../src/monitor/probes/dns/index.js';
import httpProbe from '../../src/monitor/probes/http/index.js';
import { CA_FILE, refusedPort, startDnsmasq, startHttp, startHttps, type Listening } from '../../src/monitor/probes/shared/test-servers.js';
import tcpProbe from '../../src/monitor/probes/tcp/index.js';
import tlsProbe from '../../src/monitor/probes/tls/index.js';
import { validateAgainst } from '../../src/config/validate.js';

const BIN = 'prometheus-blackbox-exporter';
const TIMEOUT_S = 1.5;

function missing(): string | undefined {
  if (spawnSync(BIN, ['--version']).error) return `${BIN} is not installed (apt-get install -y prometheus-blackbox-exporter; bash .ci/peers.sh)`;
  return undefined;
}

const MODULES = `
modules:
  http_2xx:
    prober: http
    timeout: ${TIMEOUT_S}s
    http:
      preferred_ip_protocol: ip4
      tls_config: { ca_file: ${CA_FILE} }
  tcp_connect:
    prober: tcp
    timeout: ${TIMEOUT_S}s
    tcp: { preferred_ip_protocol: ip4 }
  tls:
    prober: tcp
    timeout: ${TIMEOUT_S}s
    tcp:
      preferred_ip_protocol: ip4
      tls: true
      tls_config: { ca_file: ${CA_FILE}, server_name: localhost }
  dns_a:
    prober: dns
    timeout: ${TIMEOUT_S}s
    dns:
      preferred_ip_protocol: ip4
      query_name: web.vigil.test
      query_type: A
      validate_answer_rrs:
        fail_if_not_matches_regexp: ['web\\.vigil\\.test\\.\\t300\\tIN\\tA\\t10\\.1\\.2\\.[34]']
  dns_nx:
    prober: dns
    timeout: ${TIMEOUT_S}s
    dns: { preferred_ip_protocol: ip4, query_name: none.vigil.test, query_type: A }
`;

type Metrics = Map<string, number>;

/** Text exposition → `name{sorted labels}` → value (only what a probe returns; no histograms). */
function parseExposition(text: string): Metrics {
  const m: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const mm = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (mm) m.set(`${mm[1]}${mm[2] ?? ''}`, Number(mm[3]));
  }
  return m;
}

function vigilMetrics(o: ProbeOutcome): Metrics {
  const m: Metrics = new Map([['probe_success', o.success ? 1 : 0]]);
  for (const s of o.samples) {
    const labels = Object.entries(s.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
    m.set(`${s.name}${labels ? `{${labels}}` : ''}`, s.value);
  }
  return m;
}

/** Names both sides must agree on exactly (when blackbox reports them). */
const EXACT = [
  'probe_success', 'probe_http_status_code', 'probe_http_content_length', 'probe_http_redirects', 'probe_http_ssl', 'probe_http_version',
  'probe_ssl_earliest_cert_expiry', 'probe_ssl_last_chain_expiry_timestamp_seconds', 'probe_ip_protocol', 'probe_failed_due_to_regex',
  'probe_dns_answer_rrs', 'probe_dns_authority_rrs', 'probe_dns_additional_rrs', 'probe_dns_query_succeeded',
  'probe_tls_version_info{version="TLS 1.3"}',
];

const why = missing();

describe('blackbox_exporter and Vigil probe the same targets', { skip: why }, () => {
  const dir = mkdtempSync(`${tmpdir()}/vigil-blackbox-`);
  let bb: ChildProcess | undefined;
  let bbPort = 0;
  let http: Listening<Server>;
  let https: Listening<Server>;
  let expired: Listening<Server>;
  let dns: Listening<null> | undefined;
  let refused = 0;

  before(async () => {
    [http, https, expired, refused] = await Promise.all([startHttp(), startHttps('valid'), startHttps('expired'), refusedPort()]);
    dns = await startDnsmasq(dir);
    writeFileSync(`${dir}/blackbox.yml`, MODULES);
    bbPort = await refusedPort();
    bb = spawn(BIN, [`--config.file=${dir}/blackbox.yml`, `--web.listen-address=127.0.0.1:${bbPort}`, '--timeout-offset=0'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`http://127.0.0.1:${bbPort}/-/healthy`)).ok) return; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('blackbox_exporter did not start');
  });
  after(async () => {
    bb?.kill('SIGKILL');
    await Promise.all([http?.close(), https?.close(), expired?.close(), dns?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function compare(module: string, target: string, def: ProbeDefinition, cfg: Record<string, unknown>, success: boolean): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${bbPort}/probe?module=${module}&target=${encodeURIComponent(target)}`);
    const theirs = parseExposition(await res.text());
    assert.deepEqual(validateAgainst(def.schema, cfg), [], 'vigil config');
    const prober = def.build(cfg as never, { name: module, logger: pino({ level: 'silent' }) });
    const outcome = await prober.run(AbortSignal.timeout(TIMEOUT_S * 1000), TIMEOUT_S * 1000);
    const ours = vigilMetrics(outcome);
    const label = `${module} ${target} (vigil reason: ${outcome.reason ?? 'none'})`;
    assert.equal(theirs.get('probe_success'), success ? 1 : 0, `blackbox verdict for ${label}`);
    assert.equal(ours.get('probe_success'), success ? 1 : 0, `vigil verdict for ${label}`);
    const compared: string[] = [];
    for (const name of EXACT) {
      if (!theirs.has(name)) continue;
      // blackbox reports zero-valued gauges for steps it never reached; Vigil omits them.
      if (!ours.has(name) && theirs.get(name) === 0) continue;
      assert.equal(ours.get(name), theirs.get(name), `${name} for ${label}`);
      compared.push(name);
    }
    for (const [key, v] of theirs) {
      if (!key.startsWith('probe_ssl_last_chain_info{')) continue;
      // blackbox_exporter before 0.24 has no serialnumber label; compare without it then.
      const mine = key.includes('serialnumber=') ? ours : new Map([...ours].map(([k, x]) => [k.replace(/,serialnumber="[^"]*"/, ''), x]));
      assert.equal(mine.get(key), v, `${key} for ${label}; vigil has ${[...ours.keys()].filter((k) => k.startsWith('probe_ssl_last_chain_info')).join(' ')}`);
      compared.push('probe_ssl_last_chain_info');
    }
    if (process.env.VIGIL_DEBUG_INTEROP) console.log(label, compared.join(" "), [...theirs].filter(([k]) => k.startsWith("probe_")));
    assert.ok(Math.abs(outcome.durationSeconds - (theirs.get('probe_duration_seconds') ?? 0)) < 1, `duration for ${label}`);
  }

  it('http: up, 404, slow, refused, trusted TLS, expired TLS', async () => {
    const h = `http://127.0.0.1:${http.port}`;
    await compare('http_2xx', `${h}/ok`, httpProbe, { url: `${h}/ok` }, true);
    await compare('http_2xx', `${h}/redirect`, httpProbe, { url: `${h}/redirect` }, true);
    await compare('http_2xx', `${h}/404`, httpProbe, { url: `${h}/404` }, false);
    await compare('http_2xx', `${h}/slow`, httpProbe, { url: `${h}/slow` }, false);
    await compare('http_2xx', `http://127.0.0.1:${refused}/`, httpProbe, { url: `http://127.0.0.1:${refused}/` }, false);
    const s = `https://localhost:${https.port}/ok`;
    await compare('http_2xx', s, httpProbe, { url: s, tls: { ca_file: CA_FILE } }, true);
    const e = `https://localhost:${expired.port}/ok`;
    await compare('http_2xx', e, httpProbe, { url: e, tls: { ca_file: CA_FILE } }, false);
  });

  it('tcp connect and tls', async () => {
    await compare('tcp_connect', `127.0.0.1:${http.port}`, tcpProbe, { target: `127.0.0.1:${http.port}` }, true);
    await compare('tcp_connect', `127.0.0.1:${refused}`, tcpProbe, { target: `127.0.0.1:${refused}` }, false);
    await compare('tls', `127.0.0.1:${https.port}`, tlsProbe, { target: `127.0.0.1:${https.port}`, ca_file: CA_FILE, server_name: 'localhost' }, true);
    await compare('tls', `127.0.0.1:${expired.port}`, tlsProbe, { target: `127.0.0.1:${expired.port}`, ca_file: CA_FILE, server_name: 'localhost' }, false);
    await compare('tls', `127.0.0.1:${refused}`, tlsProbe, { target: `127.0.0.1:${refused}`, ca_file: CA_FILE }, false);
  });

  it('dns', async (t) => {
    if (!dns) return t.skip('dnsmasq is not installed (apt-get install -y dnsmasq)');
    const resolver = `127.0.0.1:${dns.port}`;
    await compare('dns_a', resolver, dnsProbe, { query_name: 'web.vigil.test', resolver,
      validate_answer_rrs: { fail_if_not_matches_regexp: ['web\\.vigil\\.test\\.\\t300\\tIN\\tA\\t10\\.1\\.2\\.[34]'] } }, true);
    await compare('dns_nx', resolver, dnsProbe, { query_name: 'none.vigil.test', resolver }, false);
    await compare('dns_a', `127.0.0.1:${refused}`, dnsProbe, { query_name: 'web.vigil.test', resolver: `127.0.0.1:${refused}` }, false);
  });
});
