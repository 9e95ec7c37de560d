import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { SampleAppender } from '../../metrics/appender.js';
import type { MetricsAppendSeries } from '../../store/metrics/index.js';
import { resolveMonitors, type MonitorConfig } from '../config.js';
import { MonitorService, type MonitorServiceOptions } from '../monitor-service.js';
import { defineProbe, type ProbeDefinition, type ProbeOutcome } from '../probe.js';

export const silent = pino({ level: 'silent' });

/** A temp dir removed at process exit. */
export function tempDir(prefix = 'vigil-monitor-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Outcomes of `fake` monitors by target; tests flip them while the service runs. */
export const scripted = new Map<string, ProbeOutcome>();

/** A probe type whose result each test scripts through `scripted` (keyed by the `target` option). */
export const fakeProbe = defineProbe({
  type: 'fake',
  description: 'scripted results',
  schema: Type.Object({ target: Type.String() }, { additionalProperties: false }),
  example: { target: 'x' },
  build(cfg) {
    return {
      async run(): Promise<ProbeOutcome> {
        return scripted.get(cfg.target) ?? { success: false, durationSeconds: 0.001, reason: 'no script', samples: [] };
      },
    };
  },
});

export const lookup = (defs: ProbeDefinition[]) => (type: string) => defs.find((d) => d.type === type);

/** Resolves a `monitors:` section, failing the test on any issue. */
export function monitors(raw: Record<string, unknown>, defs: ProbeDefinition[] = [fakeProbe as unknown as ProbeDefinition]): MonitorConfig[] {
  const r = resolveMonitors(raw, lookup(defs));
  if (r.issues.length > 0) throw new Error(JSON.stringify(r.issues));
  return r.monitors;
}

/** An appender keeping what it got, for assertions. */
export class MemoryAppender implements SampleAppender {
  readonly got: MetricsAppendSeries[] = [];
  async append(_tenant: string, series: ReadonlyArray<MetricsAppendSeries>) {
    this.got.push(...series);
    return { accepted: series.length, rejected: [] };
  }
}

export function service(o: Partial<MonitorServiceOptions> & { monitors: MonitorConfig[]; dataDir: string }): MonitorService {
  return new MonitorService({
    appender: new MemoryAppender(),
    logger: silent,
    lookupProbe: lookup([fakeProbe as unknown as ProbeDefinition]),
    registry: new Registry(),
    hostname: 'testhost',
    flushIntervalMs: 50,
    ...o,
  });
}
