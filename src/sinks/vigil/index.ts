/**
 * The `vigil` sink: an agent pushes to Vigil servers (Loki's snappy protobuf push, fields as
 * structured metadata), failing over between the listed servers, and reports which host it is
 * and what it collects to `/api/vigil/v1/agents` on start and every `report_interval`.
 */
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { parseDuration } from '../../core/time.js';
import { Duration, LabelMap } from '../../config/types.js';
import { httpRequest, HttpError } from '../../http/client.js';
import { loadOrCreateAgentId } from '../../agent-identity/agent-id.js';
import { buildAgentReport } from '../../agent-identity/report.js';
import { buildTransport, resultOf, TimeoutSchema, TlsSchema, type Transport } from '../http/transport.js';
import { encodePush } from '../loki/encode.js';
import { ServerPool } from './failover.js';

const schema = Type.Object(
  {
    servers: Type.Array(Type.String({ pattern: '^https?://', description: 'A Vigil server base URL.' }), { minItems: 1, maxItems: 32, description: 'Vigil servers in order of preference: the first healthy one gets the data; on connection errors, timeouts or 5xx the next one does.' }),
    token: Type.Optional(Type.String({ minLength: 1, description: 'Bearer token the servers accept (write `${VAR}` to take it from the environment).' })),
    tenant: Type.Optional(Type.String({ minLength: 1, description: 'Tenant (X-Scope-OrgID) to write to; the server default tenant when unset.' })),
    labels: Type.Optional(LabelMap('Static labels added to every stream (a stream\'s own label wins) and to the agent report.')),
    failback_interval: Type.Optional(Duration({ default: '30s', description: 'While on a fallback server, how often the preferred ones are checked (`/ready`) to move back.' })),
    report: Type.Optional(Type.Boolean({ default: true, description: 'Report this agent (host, version, sources, sinks) to the server.' })),
    report_interval: Type.Optional(Duration({ default: '60s', description: 'How often the agent report is sent; the server marks an agent stale after three missed reports.' })),
    tls: Type.Optional(TlsSchema),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);

const ms = (d: string | undefined, dflt: number): number => {
  const us = d === undefined ? undefined : parseDuration(d);
  return us === undefined ? dflt : Math.max(1, Math.round(us / 1000));
};

export default defineSink({
  kind: 'sink',
  defaultBuffer: 'disk',
  type: 'vigil',
  description: 'Pushes batches to Vigil servers with failover, and reports this agent to them.',
  schema,
  example: { servers: ['http://vigil-1:9470', 'http://vigil-2:9470'], token: '${VIGIL_TOKEN}', labels: { dc: 'eu-1' }, failback_interval: '30s', report_interval: '60s', timeout: '10s' },
  build(config, ctx) {
    const servers = config.servers.map((s) => s.replace(/\/+$/, ''));
    const pool = new ServerPool(servers, ctx.logger, ctx.id);
    const extra = config.labels ?? {};
    const failbackMs = ms(config.failback_interval, 30_000);
    const reportMs = ms(config.report_interval, 60_000);
    const headers = { 'content-type': 'application/x-protobuf' };
    let transport: Transport | undefined;
    let timers: NodeJS.Timeout[] = [];
    let agentId: string | undefined;
    let reportFailing = false;

    const report = async (): Promise<void> => {
      const t = transport;
      if (!t || agentId === undefined) return;
      const url = `${pool.activeUrl}/api/vigil/v1/agents`;
      const body = JSON.stringify(buildAgentReport(agentId, { hostname: ctx.hostname, labels: extra, reportIntervalS: reportMs / 1000 }));
      try {
        const res = await httpRequest({ ...t.base, method: 'POST', url, body, tenant: config.tenant, headers: { 'content-type': 'application/json' } });
        if (res.status < 200 || res.status >= 300) throw new Error(`answered ${res.status}: ${res.text().slice(0, 300)}`);
        if (reportFailing) ctx.logger.info({ sink: ctx.id, server: pool.activeUrl }, 'agent report accepted again');
        reportFailing = false;
      } catch (e) {
        // Logged once per failure streak: the data path has its own errors and metrics.
        if (!reportFailing) ctx.logger.warn({ sink: ctx.id, server: pool.activeUrl, error: errorMessage(e) }, 'agent report failed; will retry at the next interval');
        reportFailing = true;
      }
    };

    return {
      async start() {
        if (transport) return;
        transport = buildTransport(ctx, { auth: config.token !== undefined ? { bearer_token: config.token } : undefined, tls: config.tls, timeout: config.timeout });
        const t = transport;
        if (servers.length > 1) {
          const timer = setInterval(() => {
            if (pool.active !== 0) void pool.failback({ ...t.base, timeoutMs: Math.min(t.base.timeoutMs ?? 5000, 5000) });
          }, failbackMs);
          timer.unref();
          timers.push(timer);
        }
        if (config.report ?? true) {
          agentId = loadOrCreateAgentId(ctx.dataDir);
          void report();
          const timer = setInterval(() => void report(), reportMs);
          timer.unref();
          timers.push(timer);
        }
      },
      async stop() {
        for (const t of timers) clearInterval(t);
        timers = [];
        const t = transport;
        transport = undefined;
        await t?.close();
      },
      async send(batch): Promise<SinkResult> {
        const n = batchSize(batch);
        if (n === 0) return { status: 'delivered' };
        const bytes = batchBytes(batch);
        ctx.metrics.received(n, bytes);
        const t = transport;
        if (!t) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: 'sink is not started' };
        }
        let body: Buffer;
        try {
          body = await encodePush(batch, extra);
        } catch (e) {
          ctx.metrics.error('processing', n);
          return { status: 'rejected', reason: `cannot encode the push request: ${errorMessage(e)}` };
        }
        let last: SinkResult = { status: 'errored', error: 'no server tried' };
        for (const i of pool.order()) {
          const server = servers[i] as string;
          const what = `vigil ${server}`;
          let r: SinkResult;
          let failover: boolean;
          try {
            const res = await httpRequest({ ...t.base, method: 'POST', url: `${server}/loki/api/v1/push`, body, headers: { ...t.headers, ...headers }, tenant: config.tenant });
            r = resultOf(res, what);
            failover = res.status >= 500;
          } catch (e) {
            r = { status: 'errored', error: e instanceof HttpError ? e.message : `${what}: ${errorMessage(e)}` };
            failover = true;
          }
          if (r.status === 'delivered') {
            pool.succeeded(i);
            ctx.metrics.sent(n, bytes);
            return r;
          }
          last = r;
          // A refusal (4xx) or a push-back (429) comes from a live server: another one would answer alike.
          if (!failover) break;
          pool.failed(i, r.status === 'errored' ? r.error : '');
        }
        ctx.metrics.error('sending', n);
        return last;
      },
    };
  },
});
