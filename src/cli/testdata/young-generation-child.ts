// Run in a fresh process by young-generation.test.ts: allocates with a high survival rate (what
// makes V8 grow new space) in chunks separated by event-loop turns, as the pipeline does, and
// prints the largest new space seen. argv[2]: semi-space cap in MB, or "none".
import { getHeapSpaceStatistics } from 'node:v8';
import { capYoungGeneration } from '../young-generation.js';

const arg = process.argv[2] ?? 'none';
const initial = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
const cap = arg === 'none' ? undefined : capYoungGeneration(Number(arg), { execArgv: [], nodeOptions: undefined });
const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
let max = size();
let keep: object[] = [];
for (let round = 0; round < 3000; round++) {
  for (let i = 0; i < 2_000; i++) {
    keep.push({ a: `x${i}`, b: [i, i + 1] });
    if (keep.length > 40_000) keep = [];
  }
  max = Math.max(max, size());
  await new Promise((r) => setImmediate(r));
}
process.stdout.write(JSON.stringify({ initial, capped: cap !== undefined, capBytes: cap?.capBytes ?? 0, maxNewSpace: max, kept: keep.length }) + '\n');
