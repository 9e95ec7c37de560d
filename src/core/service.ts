/**
 * Every long-lived module is a Service. `start` brings it up (throws if it cannot), `reload` swaps
 * the config in place (throws and keeps the old config if the new one cannot be applied), `stop` is
 * idempotent and resolves when all its work is flushed or abandoned.
 */
export interface Service<C = unknown> {
  start(): Promise<void>;
  reload?(config: C): Promise<void>;
  stop(): Promise<void>;
}
