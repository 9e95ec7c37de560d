/**
 * The probe contract. A probe type (http, tcp, dns, icmp, tls, command, process) is a folder
 * `src/monitor/probes/<type>/` whose `index.ts` default-exports one ProbeDefinition, listed in
 * `src/monitor/probes/index.ts`. The monitor scheduler runs probers; it owns interval, timeout,
 * retries and labels, which are therefore not part of a probe's schema.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Labels } from '../core/labels.js';

/** One extra sample of a probe run, named as blackbox_exporter names it (e.g. `probe_http_status_code`). */
export interface ProbeSample {
  name: string;
  /** Extra labels beyond the monitor's own (e.g. `{phase: "connect"}` for probe_http_duration_seconds). */
  labels?: Labels;
  value: number;
}

export interface ProbeOutcome {
  success: boolean;
  /** Wall time of the whole probe, seconds (becomes `probe_duration_seconds`). */
  durationSeconds: number;
  /**
   * Why it failed, in words an operator reads in an alert: `status 503`, `keyword "ok" missing`,
   * `timeout after 5s`, `connection refused`, `certificate expired 3 days ago`. Absent on success.
   */
  reason?: string;
  /** A non-failing concern worth showing: `certificate expires in 6 days`. */
  warning?: string;
  /** Every other sample of this run (blackbox_exporter names); not probe_success/probe_duration_seconds. */
  samples: ProbeSample[];
}

export interface ProbeContext {
  /** The monitor's name (config key). */
  name: string;
  logger: Logger;
}

export interface Prober {
  /**
   * Runs the probe once. Must resolve (never reject) with a failed outcome for every failure of the
   * target, including `signal` aborting at the timeout (reason `timeout after <t>`); must release
   * every socket, timer and child process it opened before resolving.
   */
  run(signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome>;
  /** Frees long-lived resources (agents, pools); optional. */
  close?(): Promise<void>;
}

export interface ProbeDefinition<S extends TObject = TObject> {
  type: string;
  /** One line for docs and `vigil check`. */
  description: string;
  /** Strict schema (additionalProperties: false) of the type's own options; descriptions are user docs. */
  schema: S;
  /** A valid example (type-specific options only), shown in docs and checked by tests. */
  example: Static<S>;
  /** Builds a prober from a valid config; must not start I/O. */
  build(config: Static<S>, ctx: ProbeContext): Prober;
}

export function defineProbe<S extends TObject>(d: ProbeDefinition<S>): ProbeDefinition<S> {
  return d;
}
