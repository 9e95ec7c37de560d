/**
 * The component contract. Every source, transform (parsers are transforms) and sink is a folder
 * `src/<kind>s/<type>/` whose `index.ts` default-exports one ComponentDefinition, listed once in
 * `registry.ts`. Configs are validated against `schema` before `build` is ever called, so `build`
 * receives a typed, valid config; it must not start I/O (that is `start`'s job).
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LogBatch } from '../core/events.js';
import type { Service } from '../core/service.js';
import type { Micros } from '../core/time.js';
import type { LogAppender } from '../store/interfaces.js';

export type ComponentKind = 'source' | 'transform' | 'sink';

/** Where in the pipeline an error happened; errors are counted by stage. */
export type ErrorStage = 'receiving' | 'processing' | 'sending';

/** The counters every component has; labelled with its id, kind and type. */
export interface ComponentMetrics {
  /** Entries and bytes taken in (read from a file, received on a socket, given to a sink). */
  received(events: number, bytes: number): void;
  /** Entries and bytes passed on (emitted downstream, delivered by a sink). */
  sent(events: number, bytes: number): void;
  /** Errors by stage; `n` entries affected (default 1). */
  error(stage: ErrorStage, n?: number): void;
  /** Entries deliberately dropped or rejected (with a reason label, e.g. `line_too_long`). */
  discarded(reason: string, n: number): void;
  /** The shared registry, for a component's own extra metrics (names `vigil_<kind>_<type>_...`). */
  readonly registry: Registry;
}

/** What a component may use; it never reaches for globals. */
export interface ComponentContext {
  /** Config id, e.g. `varlog` for `sources.varlog`. */
  id: string;
  kind: ComponentKind;
  logger: Logger;
  metrics: ComponentMetrics;
  /** A directory owned by this component alone (checkpoints, buffers); created before build. */
  dataDir: string;
  /** This host's name (for the `host` label). */
  hostname: string;
  /** Aborted when the process shuts down. */
  signal: AbortSignal;
  now(): Micros;
  /** Stores this process runs (only `vigil run` has the embedded store); local sinks take them from here. */
  stores: { logs?: LogAppender };
}

export interface SourceContext extends ComponentContext {
  /**
   * Hands a batch downstream. Resolves once every sink has durably taken it (written to its disk
   * buffer, its store WAL, or acknowledged by its destination); only then may the source advance
   * a checkpoint or acknowledge its sender. Rejects when the pipeline is stopping or a sink refused
   * to take it durably; the source must then keep the batch's position unacknowledged.
   */
  emit(batch: LogBatch): Promise<void>;
}

/** A source reads or receives data and calls `ctx.emit`. */
export type Source = Service;

/** A transform (parser, relabel, filter...) maps a batch to a batch, synchronously. */
export interface Transform {
  /** May return the same object mutated or a new batch; must not throw for bad input lines (mark them with `__error__`). */
  process(batch: LogBatch): LogBatch;
}

export type SinkResult =
  | { status: 'delivered' }
  /** Retry later; `retryAfterMs` when the destination said so (429, Retry-After). */
  | { status: 'errored'; error: string; retryAfterMs?: number }
  /** Permanent: count it, dead-letter it, never retry. */
  | { status: 'rejected'; reason: string }
  /**
   * Part of the batch was taken (e.g. an Elasticsearch bulk response with per-item errors): retry
   * only `retry` (the retriable rest, if any) and dead-letter each `rejected` group with its reason.
   */
  | { status: 'partial'; error: string; retry?: LogBatch; retryAfterMs?: number; rejected: Array<{ batch: LogBatch; reason: string }> };

export interface Sink extends Service {
  send(batch: LogBatch): Promise<SinkResult>;
}

interface DefinitionBase<S extends TObject> {
  type: string;
  /** One line for `vigil check` and the docs. */
  description: string;
  /** Strict schema (additionalProperties: false); descriptions are the user docs. Excludes `type`. */
  schema: S;
  /** A valid example config (without `type`), shown in docs and used by the conformance suite. */
  example: Static<S>;
}

export interface SourceDefinition<S extends TObject = TObject> extends DefinitionBase<S> {
  kind: 'source';
  build(config: Static<S>, ctx: SourceContext): Source;
}

export interface TransformDefinition<S extends TObject = TObject> extends DefinitionBase<S> {
  kind: 'transform';
  build(config: Static<S>, ctx: ComponentContext): Transform;
}

export interface SinkDefinition<S extends TObject = TObject> extends DefinitionBase<S> {
  kind: 'sink';
  /** The buffer a sink gets when its config names none: `disk` for sinks that send over the network. */
  defaultBuffer?: 'memory' | 'disk';
  /** Requests in flight when the config names none (default 1); the store overlaps appends to share fsyncs. */
  defaultConcurrency?: number;
  build(config: Static<S>, ctx: ComponentContext): Sink;
}

export type ComponentDefinition = SourceDefinition | TransformDefinition | SinkDefinition;

/** Identity helpers that keep the config type inferred from the schema. */
export function defineSource<S extends TObject>(d: SourceDefinition<S>): SourceDefinition<S> {
  return d;
}
export function defineTransform<S extends TObject>(d: TransformDefinition<S>): TransformDefinition<S> {
  return d;
}
export function defineSink<S extends TObject>(d: SinkDefinition<S>): SinkDefinition<S> {
  return d;
}
