/**
 * The `exec` source: runs a command and reads its stdout (and stderr, labelled
 * `stream="stderr"`) line by line, like Vector's `exec` source. Kept running and restarted with
 * exponential backoff (`streaming`), or run every `interval` (`interval`).
 */
import { Type } from '@sinclair/typebox';
import { defineSource } from '../../components/contract.js';
import { ByteSize, Duration, LabelMap } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import { ExecSource } from './exec-source.js';

const schema = Type.Object(
  {
    command: Type.Array(Type.String(), { minItems: 1, description: 'Program and arguments (argv), run without a shell unless `shell` is true; then they are joined with spaces into one shell command line.' }),
    shell: Type.Optional(Type.Boolean({ default: false, description: 'Run the command through /bin/sh (pipes, redirections, globbing).' })),
    env: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: "Environment variables added to (or overriding) vigil's own for the command." })),
    cwd: Type.Optional(Type.String({ minLength: 1, description: "Working directory of the command (default: vigil's)." })),
    mode: Type.Optional(Type.Union([Type.Literal('streaming'), Type.Literal('interval')], {
      default: 'streaming',
      description: "'streaming': keep the command running, restarting it (with backoff) whenever it exits. 'interval': run it every `interval`, never two runs at once.",
    })),
    interval: Type.Optional(Duration({ default: '1m', description: "Interval mode: time between the starts of two runs (a run longer than this is followed at once by the next)." })),
    restart_backoff: Type.Optional(Type.Object({
      min: Type.Optional(Duration({ default: '1s', description: 'Wait before the first restart; doubled at each consecutive failure.' })),
      max: Type.Optional(Duration({ default: '1m', description: 'Longest wait between restarts; a run lasting longer than this resets the wait to `min`.' })),
    }, { additionalProperties: false, description: 'Streaming mode: how long to wait before restarting the command after it exits (restarts are counted, exit codes logged).' })),
    kill_grace: Type.Optional(Duration({ default: '5s', description: 'On stop, the process group gets SIGTERM, then SIGKILL after this long.' })),
    include_stderr: Type.Optional(Type.Boolean({ default: true, description: 'Also read stderr lines (label `stream="stderr"`; stdout lines get `stream="stdout"`).' })),
    labels: Type.Optional(LabelMap('Static labels added to every entry (beside `stream`).')),
    max_line_size: Type.Optional(ByteSize({ default: '256KiB', description: 'Longer lines keep their first bytes, the rest is dropped and counted (`discarded{reason="line_truncated"}`).' })),
    batch_max_lines: Type.Optional(Type.Integer({ minimum: 1, default: 1000, description: 'Most entries in one batch sent downstream.' })),
    batch_timeout: Type.Optional(Duration({ default: '100ms', description: 'Longest an incomplete batch waits for more lines before it is sent.' })),
  },
  { additionalProperties: false, description: 'Runs a command and reads its output.' },
);

function ms(text: string | undefined, fallback: string): number {
  return Math.round((parseDuration(text ?? fallback) ?? (parseDuration(fallback) as number)) / 1000);
}

export default defineSource({
  kind: 'source',
  type: 'exec',
  description: 'Runs a command (kept running, or every interval) and turns each line of its stdout and stderr into an entry.',
  schema,
  example: {
    command: ['journalctl', '--follow', '--output=cat'],
    mode: 'streaming',
    restart_backoff: { min: '1s', max: '1m' },
    labels: { job: 'journal' },
  },
  build(config, ctx) {
    const where = `sources.${ctx.id}`;
    const maxLineBytes = parseBytes(config.max_line_size ?? '256KiB') ?? 256 * 1024;
    if (maxLineBytes < 1) throw new Error(`${where}.max_line_size: must be at least 1 byte`);
    const backoffMinMs = Math.max(1, ms(config.restart_backoff?.min, '1s'));
    const backoffMaxMs = Math.max(1, ms(config.restart_backoff?.max, '1m'));
    if (backoffMaxMs < backoffMinMs) throw new Error(`${where}.restart_backoff: max is less than min`);
    const intervalMs = ms(config.interval, '1m');
    if ((config.mode ?? 'streaming') === 'interval' && intervalMs < 1) throw new Error(`${where}.interval: must be at least 1ms`);
    return new ExecSource(ctx, {
      command: config.command,
      shell: config.shell ?? false,
      env: config.env ?? {},
      cwd: config.cwd,
      mode: config.mode ?? 'streaming',
      intervalMs,
      backoffMinMs,
      backoffMaxMs,
      killGraceMs: ms(config.kill_grace, '5s'),
      includeStderr: config.include_stderr ?? true,
      labels: config.labels ?? {},
      maxLineBytes,
      batchMaxLines: config.batch_max_lines ?? 1000,
      batchTimeoutMs: Math.max(1, ms(config.batch_timeout, '100ms')),
    });
  },
});
