/**
 * `icmp` probe: pings a host with the system `ping` (iputils). Node has no raw or unprivileged
 * ICMP sockets of its own, and many hosts disable unprivileged ICMP (ping_group_range "1 0"),
 * while the setuid/capability-carrying ping binary works everywhere it is installed.
 */
import { Type } from '@sinclair/typebox';
import { formatDuration } from '../../../core/time.js';
import { runChild } from '../../child-process.js';
import { defineProbe, type ProbeOutcome, type ProbeSample } from '../../probe.js';
import { parsePing } from './parse.js';

const Schema = Type.Object(
  {
    host: Type.String({ minLength: 1, pattern: '^[^\\s-][^\\s]*$', description: 'Host name or IP address to ping.' }),
    count: Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Echo requests per run (sent 200 ms apart).' }),
    ip_version: Type.Union([Type.Literal('auto'), Type.Literal('4'), Type.Literal('6')], { default: 'auto', description: 'Force IPv4 (`4`) or IPv6 (`6`).' }),
    max_packet_loss_percent: Type.Number({ minimum: 0, maximum: 100, default: 99.999, description: 'Loss above this fails the run; the default needs one reply.' }),
    ping_path: Type.String({ default: 'ping', description: 'The ping program (iputils-ping).' }),
  },
  { additionalProperties: false },
);

export default defineProbe({
  type: 'icmp',
  description: 'Pings a host with the system ping; reports packet loss and round-trip time.',
  schema: Schema,
  example: { host: '192.0.2.10', count: 3, ip_version: 'auto', max_packet_loss_percent: 50, ping_path: 'ping' },
  build(cfg) {
    return {
      async run(signal, timeoutMs): Promise<ProbeOutcome> {
        // ping's own deadline (whole seconds) ends it a little before our abort, so its summary survives.
        const deadline = Math.max(1, Math.floor(timeoutMs / 1000) - (timeoutMs >= 2000 ? 1 : 0));
        const argv = [cfg.ping_path, '-n', '-c', String(cfg.count), '-i', '0.2', '-W', String(deadline), '-w', String(deadline)];
        if (cfg.ip_version !== 'auto') argv.push(`-${cfg.ip_version}`);
        argv.push(cfg.host);
        const r = await runChild(argv, { signal, env: { LC_ALL: 'C', PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' } });
        const durationSeconds = r.durationMs / 1000;
        const samples: ProbeSample[] = [];
        const fail = (reason: string): ProbeOutcome => ({ success: false, durationSeconds, reason, samples });
        if (r.spawnError) {
          return fail(r.spawnError.code === 'ENOENT' ? `${cfg.ping_path} not found: install iputils-ping` : `cannot run ${cfg.ping_path}: ${r.spawnError.message}`);
        }
        if (r.aborted) return fail(`timeout after ${formatDuration(timeoutMs * 1000)}`);
        const s = parsePing(r.stdout);
        if (!s) {
          const err = r.stderr.trim().split('\n')[0] ?? '';
          if (/Name or service not known|Temporary failure in name resolution|No address associated/.test(err)) return fail(`cannot resolve ${cfg.host}`);
          return fail(err.replace(/^ping: /, '') || `ping exited with ${r.exitCode ?? r.signal}`);
        }
        samples.push({ name: 'vigil_probe_icmp_packet_loss_ratio', value: s.lossRatio });
        if (s.rtt) samples.push({ name: 'probe_icmp_duration_seconds', labels: { phase: 'rtt' }, value: s.rtt.avg });
        if (s.hopLimit !== undefined) samples.push({ name: 'probe_icmp_reply_hop_limit', value: s.hopLimit });
        if (s.address) samples.push({ name: 'probe_ip_protocol', value: s.address.includes(':') ? 6 : 4 });
        const lossPct = s.lossRatio * 100;
        if (s.received === 0) return fail(`100% packet loss (${s.transmitted} sent)`);
        if (lossPct > cfg.max_packet_loss_percent) return fail(`packet loss ${Math.round(lossPct)}% > ${cfg.max_packet_loss_percent}%`);
        return { success: true, durationSeconds, samples };
      },
    };
  },
});
