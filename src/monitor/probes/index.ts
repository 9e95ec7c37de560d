/** The one list of probe types (see probe.ts). */
import type { ProbeDefinition } from '../probe.js';

const definitions: ProbeDefinition[] = [];

const byType = new Map<string, ProbeDefinition>();
for (const d of definitions) {
  if (byType.has(d.type)) throw new Error(`probe ${d.type} registered twice`);
  byType.set(d.type, d);
}

export function lookupProbe(type: string): ProbeDefinition | undefined {
  return byType.get(type);
}

export function probeTypes(): string[] {
  return [...byType.keys()].sort();
}

export function allProbes(): ReadonlyArray<ProbeDefinition> {
  return definitions;
}
