/**
 * A runtime cap on V8's young generation ("new space") for `vigil agent`.
 *
 * Why: V8 grows new space from 2 MB to 32 MB (two 16 MB semi-spaces) as soon as much of what it
 * allocates survives, which module loading at startup and every busy batch do. Both halves end
 * up resident, so an idle agent carried ~30 MB of empty young generation and a busy one more.
 * `--max-semi-space-size` would fix that but is read only when the heap is created, so it cannot
 * be set from a running process; NODE_OPTIONS would have to be set before `node` starts.
 * `--semi-space-growth-factor` is read each time V8 grows new space, so we keep it at V8's default
 * (2) while the next doubling stays within the cap and set it to 1 (no growth) once it would not.
 * The check runs after each GC (a `gc` PerformanceObserver), so it lags by one callback: two
 * doublings inside one synchronous stretch can overshoot the cap by one step, never more than V8's
 * own maximum. Measured in bench/http-pipeline-bench.ts (see README, "Memory of an agent").
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The semi-space cap `vigil agent` runs with: new space ≤ 8 MB. In bench/http-pipeline-bench.ts
 * (600 k lines, memory buffer) it took peak RSS from ~190 to ~160 MB at the same CPU seconds;
 * 2 MB saved ~8 MB more but cost ~18 % CPU, 1 MB ~40 %.
 */
export const AGENT_SEMI_SPACE_MB = 4;

/** V8's default growth factor of new space (node 20, V8 11.3). */
const V8_DEFAULT_GROWTH = 2;

/** Flags with which a user already chose the young generation's size; we then leave it alone. */
const EXPLICIT_FLAGS = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--max[-_]heap[-_]size/;

export interface YoungGenerationCap {
  /** The cap on new space (both semi-spaces), in bytes. */
  readonly capBytes: number;
  /** Current size of new space in bytes (both semi-spaces). */
  newSpaceBytes(): number;
  /** Stops watching and restores V8's default growth. */
  stop(): void;
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Called by `vigil agent` (src/cli/main.ts) before it loads its modules. Keeps each semi-space at
 * most `semiSpaceMb` MB (new space ≤ 2 × that) from now on; it cannot shrink what has already
 * grown. Returns undefined, changing nothing, when `execArgv` or `nodeOptions` already set the
 * young generation's size (an explicit choice wins) or `semiSpaceMb` is not a positive number.
 * Never throws.
 */
export function capYoungGeneration(
  semiSpaceMb: number,
  env: { execArgv: readonly string[]; nodeOptions: string | undefined } = { execArgv: process.execArgv, nodeOptions: process.env['NODE_OPTIONS'] },
): YoungGenerationCap | undefined {
  if (!(semiSpaceMb > 0) || !Number.isFinite(semiSpaceMb)) return undefined;
  if (env.execArgv.some((a) => EXPLICIT_FLAGS.test(a)) || EXPLICIT_FLAGS.test(env.nodeOptions ?? '')) return undefined;
  const capBytes = 2 * semiSpaceMb * 1024 * 1024;
  let factor = 0;
  const adjust = () => {
    const next = newSpaceBytes() * V8_DEFAULT_GROWTH <= capBytes ? V8_DEFAULT_GROWTH : 1;
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  adjust();
  const observer = new PerformanceObserver(adjust);
  observer.observe({ entryTypes: ['gc'] });
  return {
    capBytes,
    newSpaceBytes,
    stop() {
      observer.disconnect();
      setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
    },
  };
}
