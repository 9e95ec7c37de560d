/** The one list of probe types (see probe.ts). */
import type { ProbeDefinition } from '../probe.js';
import command from './command/index.js';
import dns from './dns/index.js';
import http from './http/index.js';
import tcp from './tcp/index.js';
import tls from './tls/index.js';
import icmp from './icmp/index.js';
import processProbe from './process/index.js';

const definitions: ProbeDefinition[] = [http as ProbeDefinition, tcp as ProbeDefinition, dns as ProbeDefinition, tls as ProbeDefinition, command as ProbeDefinition, icmp as ProbeDefinition, processProbe as ProbeDefinition];

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
