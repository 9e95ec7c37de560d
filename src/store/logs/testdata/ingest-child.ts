/**
 * Child process for the kill -9 durability test: appends numbered lines with several appends in
 * flight and prints `ack <first> <count>` after each acknowledged append, until killed.
 */
import { pino } from 'pino';
import { defaultLogStoreConfig } from '../config.js';
import { LogStore } from '../log-store.js';

const dir = process.argv[2] as string;
const T0 = Date.UTC(2026, 0, 1) * 1000;
const store = await LogStore.open({
  dir,
  config: defaultLogStoreConfig({ chunk_target_size: 20_000, reject_old_samples_max_age: '0s', creation_grace_period: '1000w' }),
  logger: pino({ level: 'silent' }),
  now: () => T0 + 3600e6,
  scanWorkers: 0,
  walSegmentBytes: 256 * 1024,
});
let next = 0;
async function writer(w: number): Promise<void> {
  for (;;) {
    const first = next;
    next += 50;
    const lines = Array.from({ length: 50 }, (_, i) => `entry ${first + i} from writer ${w} ${'payload '.repeat(5)}`);
    await store.append('fake', { streams: [{ labels: { service: 'dur', writer: String(w % 3) }, ts: lines.map((_, i) => T0 + first + i), lines }] });
    process.stdout.write(`ack ${first} 50 ${store.stats().walSegments}\n`);
  }
}
process.stdout.write('ready\n');
await Promise.all([0, 1, 2, 3].map(writer));
