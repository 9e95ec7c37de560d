/**
 * The `store` sink: writes into the embedded log store of `vigil run`. A batch counts as delivered
 * once the store's write-ahead log has it fsynced; entries the store refuses (limits, bad labels)
 * are counted and logged with the store's reason, never retried.
 */
import { Type } from '@sinclair/typebox';
import { defineSink, type SinkResult } from '../../components/contract.js';
import { batchBytes, batchSize } from '../../core/events.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import { DEFAULT_TENANT } from '../../store/interfaces.js';

const schema = Type.Object(
  {
    tenant: Type.String({ default: DEFAULT_TENANT, minLength: 1, description: 'Tenant the entries are stored under (Loki\'s X-Scope-OrgID).' }),
  },
  { additionalProperties: false },
);

export default defineSink({
  kind: 'sink',
  type: 'store',
  defaultConcurrency: 4,
  description: 'Writes into the embedded log store (only in `vigil run`).',
  schema,
  example: { tenant: DEFAULT_TENANT },
  build(config, ctx) {
    const store = ctx.stores.logs;
    if (!store) {
      throw new VigilError('CONFIG_INVALID', `sinks.${ctx.id}: the store sink needs the embedded store, which only \`vigil run\` has; an agent sends to a server with the \`vigil\` or \`loki\` sink`);
    }
    const tenant = config.tenant ?? DEFAULT_TENANT;
    return {
      async start() {},
      async stop() {},
      async send(batch): Promise<SinkResult> {
        const n = batchSize(batch);
        if (n === 0) return { status: 'delivered' };
        const bytes = batchBytes(batch);
        ctx.metrics.received(n, bytes);
        try {
          const r = await store.append(tenant, batch);
          ctx.metrics.sent(r.accepted, r.accepted === n ? bytes : Math.round((bytes * r.accepted) / n));
          for (const rej of r.rejected) {
            ctx.metrics.discarded(rej.code === 'LIMIT_EXCEEDED' ? 'limit' : 'invalid', rej.count);
            ctx.logger.warn({ reason: rej.reason, entries: rej.count }, 'store refused entries');
          }
          return { status: 'delivered' };
        } catch (e) {
          ctx.metrics.error('sending', n);
          return { status: 'errored', error: errorMessage(e) };
        }
      },
    };
  },
});
