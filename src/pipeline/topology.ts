/**
 * The running graph of a config: sources → their pipeline stages → the sinks that take them.
 * A source's `emit` resolves only when every target sink durably took the batch (see deliver.ts),
 * which is what lets sources advance checkpoints safely (at-least-once end to end).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ComponentContext, ComponentKind, Sink, Source, SourceContext, Transform } from '../components/contract.js';
import type { ComponentMetricFamilies } from '../components/metrics.js';
import type { ResolvedComponent, VigilConfig } from '../config/load.js';
import type { LogBatch } from '../core/events.js';
import { batchSize } from '../core/events.js';
import { errorMessage } from '../core/errors.js';
import type { Service } from '../core/service.js';
import { nowMicros } from '../core/time.js';
import type { LogAppender } from '../store/interfaces.js';
import { SinkRunner } from './sink-runner.js';
import filterTransform from './transforms/filter/index.js';

export interface TopologyDeps {
  logger: Logger;
  families: ComponentMetricFamilies;
  hostname: string;
  stores: { logs?: LogAppender };
}

interface BuiltSink {
  id: string;
  sink: Sink;
  ctx: ComponentContext;
  runner: SinkRunner;
  /** Routing: the entries this sink takes (a compiled `condition`), when it has one. */
  route: Transform | undefined;
}

interface BuiltSource {
  id: string;
  source: Source;
  ctx: SourceContext;
}

const KIND_DIR: Record<ComponentKind, string> = { source: 'sources', transform: 'transforms', sink: 'sinks' };

/** Builds and runs the components of a config. `start` fails (and cleans up) if any component cannot be built or started. */
export class Topology implements Service {
  private readonly sinks: BuiltSink[] = [];
  private readonly sources: BuiltSource[] = [];
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly config: VigilConfig,
    private readonly deps: TopologyDeps,
  ) {}

  private context(c: ResolvedComponent): ComponentContext {
    const dataDir = join(this.config.dataDir, 'components', KIND_DIR[c.kind], c.id.replace(/[^a-zA-Z0-9_.-]/g, '_'));
    if (c.kind !== 'transform') mkdirSync(dataDir, { recursive: true });
    return {
      id: c.id,
      kind: c.kind,
      logger: this.deps.logger.child({ component: `${KIND_DIR[c.kind]}.${c.id}`, type: c.type }),
      metrics: this.deps.families.forComponent(c.id, c.kind, c.type),
      dataDir,
      hostname: this.deps.hostname,
      signal: this.abort.signal,
      now: nowMicros,
      stores: this.deps.stores,
    };
  }

  async start(): Promise<void> {
    try {
      for (const s of this.config.sinks) {
        if (s.def.kind !== 'sink') continue;
        const ctx = this.context(s);
        const sink = s.def.build(s.config, ctx);
        const route = s.delivery.condition !== undefined ? filterTransform.build({ condition: s.delivery.condition, action: 'keep' }, ctx) : undefined;
        const runner = new SinkRunner({
          id: s.id,
          sink,
          metrics: ctx.metrics,
          logger: ctx.logger,
          delivery: s.delivery,
          dataDir: ctx.dataDir,
          deadLetterDir: join(this.config.dataDir, 'dead-letter'),
          signal: this.abort.signal,
        });
        await sink.start();
        this.sinks.push({ id: s.id, sink, ctx, runner, route });
        await runner.start();
      }
      for (const src of this.config.sources) {
        if (src.def.kind !== 'source') continue;
        const stages: Array<{ id: string; t: Transform; ctx: ComponentContext }> = [];
        for (const st of src.stages) {
          if (st.def.kind !== 'transform') continue;
          const ctx = this.context(st);
          stages.push({ id: st.id, t: st.def.build(st.config, ctx), ctx });
        }
        const targets = this.sinks.filter((k) => this.config.sinks.find((c) => c.id === k.id)?.inputs.includes(src.id));
        const base = this.context(src);
        const ctx: SourceContext = { ...base, emit: (batch) => this.emit(src.id, batch, stages, targets) };
        const source = src.def.build(src.config, ctx);
        this.sources.push({ id: src.id, source, ctx });
      }
      for (const s of this.sources) await s.source.start();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async emit(sourceId: string, input: LogBatch, stages: Array<{ id: string; t: Transform; ctx: ComponentContext }>, targets: BuiltSink[]): Promise<void> {
    let batch = input;
    for (const st of stages) {
      const n = batchSize(batch);
      st.ctx.metrics.received(n, 0);
      try {
        batch = st.t.process(batch);
      } catch (e) {
        // A transform bug must not lose data: pass the batch on unprocessed and say so.
        st.ctx.metrics.error('processing', n);
        st.ctx.logger.error({ error: errorMessage(e), source: sourceId }, 'transform failed on a batch; passing it on unprocessed');
      }
      st.ctx.metrics.sent(batchSize(batch), 0);
    }
    if (batchSize(batch) === 0) return;
    // Each sink counts what it delivered itself; emit resolves when every target holds the batch
    // durably (its disk buffer, or delivered for memory buffers).
    await Promise.all(
      targets.map((t) => {
        if (!t.route) return t.runner.enqueue(batch);
        const routed = t.route.process({ streams: batch.streams });
        return batchSize(routed) === 0 ? undefined : t.runner.enqueue(routed);
      }),
    );
  }

  /** Source ids with their types, for `vigil run` to say what it collects. */
  describe(): Array<{ id: string; type: string }> {
    return this.config.sources.map((s) => ({ id: s.id, type: s.type }));
  }

  /** Stops sources first (they persist checkpoints), then sinks. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const stopAll = async (items: Array<{ id: string; stop: () => Promise<void>; logger: Logger }>) => {
      await Promise.all(
        items.map(async (i) => {
          try {
            await i.stop();
          } catch (e) {
            i.logger.error({ error: errorMessage(e) }, 'failed to stop cleanly');
          }
        }),
      );
    };
    // Sources stop reading and wait for their in-flight emit; a grace period lets deliveries finish.
    const grace = setTimeout(() => this.abort.abort(), 10_000);
    await stopAll(this.sources.map((s) => ({ id: s.id, stop: () => s.source.stop(), logger: s.ctx.logger })));
    clearTimeout(grace);
    this.abort.abort();
    await stopAll(this.sinks.map((s) => ({ id: s.id, stop: () => s.runner.stop(), logger: s.ctx.logger })));
    await stopAll(this.sinks.map((s) => ({ id: s.id, stop: () => s.sink.stop(), logger: s.ctx.logger })));
  }
}
