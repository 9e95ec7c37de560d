/**
 * Child process for the kill -9 test: appends numbered samples (value = sample number) with
 * several appends in flight and prints `ack <first> <count> <walSegments>` after each
 * acknowledged append, until killed.
 */
import { pino } from 'pino';
import { MetricsStore } from '../metrics-store.js';

const dir = process.argv[2] as string;
const T0 = Date.UTC(2026, 0, 1);
const store = await MetricsStore.open({
  dir,
  config: { flush_interval: '50ms', chunk_max_samples: 120 },
  logger: pino({ level: process.env.CHILD_LOG ?? 'silent' }, pino.destination(2)),
  now: () => (T0 + 3_600_000) * 1000,
  walSegmentBytes: 64 * 1024,
});
store.start();
let next = 0;
async function writer(w: number): Promise<void> {
  for (;;) {
    const first = next;
    next += 40;
    const t = Array.from({ length: 40 }, (_, i) => T0 + (first + i) * 10);
    const v = t.map((_, i) => first + i);
    const r = await store.append('fake', [{ labels: { __name__: 'dur_total', writer: String(w) }, t, v }]);
    if (r.accepted !== 40) throw new Error(`refused: ${JSON.stringify(r.rejected)}`);
    process.stdout.write(`ack ${first} 40 ${store.stats().walSegments}\n`);
  }
}
await Promise.all([0, 1, 2, 3].map(writer));
