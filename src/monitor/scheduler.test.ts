import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { firstRunAt, phaseOf, Scheduler, type ScheduledJob } from './scheduler.js';

test('phase is stable per name and spreads names across the interval', () => {
  assert.equal(phaseOf('api', 60_000), phaseOf('api', 60_000));
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 5000; i++) {
    const p = phaseOf(`monitor-${i}`, 60_000);
    assert.ok(p >= 0 && p < 60_000);
    buckets[Math.floor(p / 6000)]! += 1;
  }
  for (const b of buckets) assert.ok(b > 400 && b < 600, `uneven spread: ${buckets.join(',')}`);
  // The first run is the next grid slot: never in the past, never more than one interval ahead.
  const now = 1_700_000_123_456;
  const at = firstRunAt('api', 60_000, now);
  assert.ok(at >= now && at < now + 60_000);
  assert.equal(at % 60_000, phaseOf('api', 60_000));
});

test('200 monitors at 1s are spread over the second, not fired together', async () => {
  const starts: number[] = [];
  const t0 = Date.now();
  const jobs: ScheduledJob[] = Array.from({ length: 200 }, (_, i) => ({
    key: `m${i}`,
    intervalMs: 1000,
    timeoutMs: 500,
    run: async () => {
      starts.push(Date.now());
    },
  }));
  const s = new Scheduler({ maxConcurrency: 64 });
  s.set(jobs);
  s.start();
  await sleep(1050);
  await s.stop();
  const first = starts.filter((t) => t < t0 + 1000 + 25);
  assert.ok(first.length >= 190, `only ${first.length} runs in the first second`);
  // 10 slices of 100 ms: every slice gets some runs, none gets a burst.
  const slices = new Array<number>(10).fill(0);
  for (const t of first) slices[Math.min(9, Math.floor(((t - t0) % 1000) / 100))]! += 1;
  for (const n of slices) assert.ok(n >= 5 && n <= 45, `runs per 100ms: ${slices.join(',')}`);
});

test('never more than max_concurrency at once; the rest queue and all run', async () => {
  let active = 0;
  let peak = 0;
  const done = new Set<string>();
  const s = new Scheduler({ maxConcurrency: 5 });
  s.set(
    Array.from({ length: 40 }, (_, i) => ({
      key: `slow${i}`,
      intervalMs: 200,
      timeoutMs: 150,
      run: async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(40);
        active--;
        done.add(`slow${i}`);
      },
    })),
  );
  s.start();
  await sleep(300);
  assert.ok(s.queued > 0 || s.inFlight > 0, 'work was queued at the bound');
  await sleep(300);
  await s.stop();
  assert.equal(peak, 5);
  assert.equal(done.size, 40);
});

test('a run never overlaps itself; a run over its timeout is aborted', async () => {
  let concurrent = 0;
  let overlap = false;
  let aborted = 0;
  const skipped: string[] = [];
  const s = new Scheduler({ maxConcurrency: 10, onSkip: (k) => skipped.push(k) });
  s.set([
    {
      key: 'sticky',
      intervalMs: 100,
      timeoutMs: 80,
      run: async (signal) => {
        concurrent++;
        if (concurrent > 1) overlap = true;
        // Ignores the abort for a while, as a misbehaving probe might.
        await sleep(250);
        if (signal.aborted) aborted++;
        concurrent--;
      },
    },
  ]);
  s.start();
  await sleep(700);
  await s.stop();
  assert.equal(overlap, false);
  assert.ok(skipped.length >= 2, `skipped ${skipped.length}`);
  assert.ok(aborted >= 1);
});

test('replacing jobs keeps the grid; removed jobs stop running', async () => {
  const runs = new Map<string, number>();
  const job = (key: string): ScheduledJob => ({ key, intervalMs: 100, timeoutMs: 50, run: async () => void runs.set(key, (runs.get(key) ?? 0) + 1) });
  const s = new Scheduler({ maxConcurrency: 4 });
  s.set([job('a'), job('b')]);
  s.start();
  await sleep(250);
  s.set([job('a')]);
  const bBefore = runs.get('b') ?? 0;
  await sleep(250);
  await s.stop();
  assert.ok((runs.get('a') ?? 0) >= 4);
  assert.equal(runs.get('b') ?? 0, bBefore);
});

test('a run that ignores its abort gives its slot back but is not run twice', async () => {
  const hung: string[] = [];
  let stuckRuns = 0;
  let otherRuns = 0;
  let release: () => void = () => undefined;
  const s = new Scheduler({ maxConcurrency: 1, hungGraceMs: 50, onHung: (k) => hung.push(k) });
  s.set([
    { key: 'stuck', intervalMs: 100, timeoutMs: 50, run: () => { stuckRuns++; return new Promise<void>((r) => { release = r; }); } },
    { key: 'other', intervalMs: 100, timeoutMs: 50, run: async () => void otherRuns++ },
  ]);
  s.start();
  await sleep(600);
  assert.deepEqual(hung, ['stuck']);
  assert.equal(stuckRuns, 1);
  assert.ok(otherRuns >= 3, `other ran ${otherRuns} times with the only slot held`);
  release();
  await sleep(250);
  assert.ok(stuckRuns >= 2, 'runs again once the hung run settled');
  await s.stop();
});

test('3000 monitors at 1s: every one runs within its first interval', async () => {
  const ran = new Set<string>();
  const s = new Scheduler({ maxConcurrency: 64 });
  s.set(Array.from({ length: 3000 }, (_, i) => ({ key: `m${i}`, intervalMs: 1000, timeoutMs: 500, run: async () => void ran.add(`m${i}`) })));
  s.start();
  await sleep(1100);
  await s.stop();
  assert.equal(ran.size, 3000);
});
