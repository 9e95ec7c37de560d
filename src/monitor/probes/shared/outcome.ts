/**
 * Helpers every network prober uses to turn what happened into a ProbeOutcome: one reason text
 * for each kind of failure, so alerts read the same whatever the probe type.
 */
import type { ProbeSample } from '../../probe.js';

/** `5s`, `1.2s`, `250ms`: the short form used in reasons. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${Number(seconds.toFixed(seconds < 10 ? 2 : 1))}s`;
}

/** The reason of a probe stopped by the scheduler's timeout signal. */
export function timeoutReason(timeoutMs: number): string {
  return `timeout after ${formatSeconds(timeoutMs / 1000)}`;
}

/**
 * A failure of the target (socket, TLS, DNS, HTTP parser) in an operator's words. Node's messages
 * already carry the syscall and address (`connect ECONNREFUSED 127.0.0.1:1`), which is what an
 * operator needs; only the few that don't are reworded.
 */
export function errorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = (err as { hostname?: string }).hostname;
    return host ? `cannot resolve ${host} (${code})` : err.message;
  }
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return 'connection closed by peer before a response';
  return err.message;
}

/** Collects samples with the two fields every run carries; keeps the probers short. */
export class Samples {
  readonly list: ProbeSample[] = [];
  add(name: string, value: number, labels?: Record<string, string>): void {
    this.list.push(labels ? { name, value, labels } : { name, value });
  }
}

/** Seconds elapsed since a `performance.now()` reading. */
export function since(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/**
 * Settles with `p`, or rejects as soon as `signal` aborts (for work that cannot itself be
 * cancelled, like getaddrinfo). The listener is removed either way.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** Turns a thrown failure into the outcome's reason: the timeout when the signal fired, else the error. */
export function failureReason(err: unknown, signal: AbortSignal, timeoutMs: number): string {
  return signal.aborted ? timeoutReason(timeoutMs) : errorReason(err);
}
