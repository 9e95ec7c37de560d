/**
 * The `file` source: tails files matched by globs (like Promtail / Vector's `file`), surviving
 * rotation, truncation and restarts, with checkpoints advanced only after downstream acknowledged.
 */
import { Type } from '@sinclair/typebox';
import { defineSource } from '../../components/contract.js';
import { ByteSize, Duration, LabelMap, Regex } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import { FileSource } from './file-source.js';

const Multiline = Type.Object(
  {
    mode: Type.Union([Type.Literal('start'), Type.Literal('continuation')], {
      description: "'start': a line matching `pattern` begins a new record (e.g. `^\\d{4}-`); 'continuation': a line matching `pattern` is appended to the previous record (e.g. `^\\s` or `^\\tat `).",
    }),
    pattern: Regex({ description: 'The regular expression tested against each line (JavaScript syntax).' }),
    timeout: Type.Optional(Duration({ default: '1s', description: 'A record that receives no new line for this long is complete.' })),
    max_lines: Type.Optional(Type.Integer({ minimum: 1, default: 500, description: 'A record is cut after this many lines.' })),
  },
  { additionalProperties: false, description: 'Joins multi-line records such as stack traces.' },
);

const schema = Type.Object(
  {
    include: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Absolute glob patterns of files to read, e.g. `/var/log/**/*.log`.' }),
    exclude: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Glob patterns of files never to read (e.g. `/var/log/*.gz`).' })),
    start_at: Type.Optional(Type.Union([Type.Literal('end'), Type.Literal('beginning')], {
      default: 'end',
      description: "Where to start files found at the first start without a checkpoint: 'end' (only new lines) or 'beginning'. Files that appear later are always read from the beginning.",
    })),
    labels: Type.Optional(LabelMap('Static labels added to every entry (beside `filename` and `host`).')),
    multiline: Type.Optional(Multiline),
    max_line_bytes: Type.Optional(ByteSize({ default: '256KiB', description: 'Longest line kept whole; longer lines are split into pieces of this size or truncated (see on_long_line), and counted.' })),
    on_long_line: Type.Optional(Type.Union([Type.Literal('split'), Type.Literal('truncate')], { default: 'split', description: "What to do with a line longer than max_line_bytes: 'split' into several entries, or 'truncate' (the rest is dropped and counted)." })),
    encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('latin1')], { default: 'utf8', description: 'Text encoding of the files; invalid UTF-8 bytes become U+FFFD.' })),
    glob_interval: Type.Optional(Duration({ default: '5s', description: 'How often the globs are evaluated again to find new, renamed and deleted files.' })),
    poll_interval: Type.Optional(Duration({ default: '250ms', description: 'How often followed files are checked for new data (file system events only speed this up).' })),
    fingerprint_bytes: Type.Optional(Type.Integer({ minimum: 16, maximum: 1048576, default: 1024, description: "Leading bytes hashed, with device and inode, into a file's identity (a shorter file is fingerprinted over what it has, growing up to this)." })),
    max_open_files: Type.Optional(Type.Integer({ minimum: 1, default: 512, description: 'Most files held open at once; idle files are closed and reopened by path (after checking identity) when they grow.' })),
    batch_max_lines: Type.Optional(Type.Integer({ minimum: 1, default: 10000, description: 'Most entries in one batch sent downstream.' })),
    batch_max_bytes: Type.Optional(ByteSize({ default: '1MiB', description: 'Most bytes of lines in one batch sent downstream. Parsed fields take several times the line bytes in memory until every sink holds the batch: larger batches cost memory, not speed.' })),
    batch_timeout: Type.Optional(Duration({ default: '100ms', description: 'Longest an incomplete batch waits for more lines before it is sent.' })),
    partial_line_timeout: Type.Optional(Duration({ default: '5s', description: 'An unterminated last line is sent as is once its file stopped growing for this long.' })),
    rotate_wait: Type.Optional(Duration({ default: '5s', description: 'How long a file renamed away or deleted is still read after its last write before it is released.' })),
    checkpoint_interval: Type.Optional(Duration({ default: '1s', description: "How often acknowledged positions are written to disk (durably); '0s' writes after every batch. A crash re-reads at most what was acknowledged in this interval." })),
  },
  { additionalProperties: false, description: 'Reads log files.' },
);

function micros(text: string | undefined, fallback: string): number {
  return parseDuration(text ?? fallback) ?? (parseDuration(fallback) as number);
}

function bytes(v: string | number | undefined, fallback: string): number {
  return parseBytes(v ?? fallback) ?? (parseBytes(fallback) as number);
}

export default defineSource({
  kind: 'source',
  type: 'file',
  description: 'Tails log files matched by globs, following rotation and truncation, with durable checkpoints.',
  schema,
  example: {
    include: ['/var/log/app/*.log'],
    exclude: ['/var/log/app/*.gz'],
    start_at: 'end',
    labels: { service: 'app' },
    multiline: { mode: 'continuation', pattern: '^\\s', timeout: '1s', max_lines: 500 },
  },
  build(config, ctx) {
    const ml = config.multiline;
    return new FileSource(ctx, {
      include: config.include,
      exclude: config.exclude ?? [],
      startAt: config.start_at ?? 'end',
      labels: config.labels ?? {},
      multiline: ml
        ? { mode: ml.mode, pattern: new RegExp(ml.pattern), timeout: micros(ml.timeout, '1s'), maxLines: ml.max_lines ?? 500 }
        : undefined,
      maxLineBytes: Math.max(1, bytes(config.max_line_bytes, '256KiB')),
      onLongLine: config.on_long_line ?? 'split',
      encoding: config.encoding ?? 'utf8',
      globIntervalMs: micros(config.glob_interval, '5s') / 1000,
      pollIntervalMs: Math.max(1, micros(config.poll_interval, '250ms') / 1000),
      fingerprintBytes: config.fingerprint_bytes ?? 1024,
      maxOpenFiles: config.max_open_files ?? 512,
      batchMaxLines: config.batch_max_lines ?? 10000,
      batchMaxBytes: Math.max(1, bytes(config.batch_max_bytes, '1MiB')),
      batchTimeoutMs: micros(config.batch_timeout, '100ms') / 1000,
      partialLineTimeout: micros(config.partial_line_timeout, '5s'),
      rotateWait: micros(config.rotate_wait, '5s'),
      checkpointIntervalMs: micros(config.checkpoint_interval, '1s') / 1000,
      readBufferBytes: 256 * 1024,
    });
  },
});
