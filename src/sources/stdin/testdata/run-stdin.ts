// Runs the stdin source on this process's real stdin until EOF; prints what it emitted as JSON.
import { makeTestContext } from '../../../components/testing.js';
import def from '../index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const ctx = makeTestContext('source', 'stdin');
const delayMs = Number(process.env['EMIT_DELAY_MS'] ?? 0);
if (delayMs > 0) ctx.onEmit = () => new Promise((r) => setTimeout(r, delayMs));
const src = def.build(config as never, ctx) as unknown as { start(): Promise<void>; stop(): Promise<void>; done: Promise<void> };
await src.start();
await src.done;
await src.stop();
ctx.cleanup();
process.stdout.write(JSON.stringify(ctx.emitted));
