/**
 * The `journald` source: follows the systemd journal through `journalctl -o json -f`, with the
 * cursor of the last acknowledged entry checkpointed in the data dir (like Vector's `journald`
 * source and Promtail's journal target). Entries keep their journal time; MESSAGE is the line.
 */
import { Type } from '@sinclair/typebox';
import { defineSource } from '../../components/contract.js';
import { ByteSize, Duration, LabelMap } from '../../config/types.js';
import { parseDuration } from '../../core/time.js';
import { parseBytes } from '../../core/units.js';
import { DEFAULT_FIELDS, DEFAULT_LABELS_FROM } from './entry.js';
import { JournaldSource } from './journald-source.js';

const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const FIELD_NAME = '^[A-Z0-9_]+$';

const schema = Type.Object(
  {
    since: Type.Optional(Type.String({
      minLength: 1,
      default: 'now',
      description: "Where to start when there is no saved cursor: `now` (new entries only), `boot` (the current boot), `beginning` (everything in the journal), or a time journalctl's `--since` understands (`2026-11-27 10:00:00`, `-1h`, `yesterday`). Once a cursor is saved the source always resumes just after it.",
    })),
    units: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Only these systemd units (`journalctl -u`; globs allowed, e.g. `nginx*.service`).' })),
    matches: Type.Optional(Type.Array(Type.String({ pattern: '^([A-Z0-9_]+=.*|\\+)$' }), {
      description: 'Journal matches `FIELD=value` (`journalctl FIELD=value`): different fields AND, the same field OR; a `+` between groups ORs them.',
    })),
    priority: Type.Optional(Type.Union([
      Type.Integer({ minimum: 0, maximum: 7 }),
      Type.String({ pattern: `^(${PRIORITY_NAMES.join('|')}|[0-7])(\\.\\.(${PRIORITY_NAMES.join('|')}|[0-7]))?$` }),
    ], { description: 'Most verbose priority kept (`journalctl -p`): 0..7, a name (`err`, `warning`, `info`...) or a range `err..warning`.' })),
    directory: Type.Optional(Type.String({ minLength: 1, description: 'Read the journal files in this directory (`journalctl -D`, e.g. `/var/log/journal/remote`) instead of the system journal.' })),
    journalctl_path: Type.Optional(Type.String({ minLength: 1, default: 'journalctl', description: 'The journalctl program (looked up in PATH unless a path).' })),
    current_boot_only: Type.Optional(Type.Boolean({ default: false, description: 'Only entries of the current boot (`journalctl -b`), also when resuming from a cursor.' })),
    labels: Type.Optional(LabelMap('Static labels added to every entry, beside those of `labels_from` and `level` (from PRIORITY: emerg/alert/crit → critical, err → error, warning → warn, notice/info → info, debug).')),
    labels_from: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String({ pattern: FIELD_NAME }), {
      description: 'Label name → journal field whose value becomes that label (its first value if set more than once). Replaces the default `{unit: _SYSTEMD_UNIT, host: _HOSTNAME, syslog_identifier: SYSLOG_IDENTIFIER}`; keep these few and low-cardinality.',
    })),
    fields: Type.Optional(Type.Array(Type.String({ pattern: '^([A-Z0-9_]+|\\*)$' }), {
      description: 'Journal fields kept as structured fields (not labels), under their journal names. Default `_PID, _UID, _COMM, _TRANSPORT, _BOOT_ID, CODE_FILE, CODE_LINE, CODE_FUNC, ERRNO`; `*` keeps every field not used as the line, time or a label.',
    })),
    max_entry_size: Type.Optional(ByteSize({ default: '4MiB', description: 'Entries whose JSON form is longer are dropped and counted (`discarded{reason="entry_too_large"}`).' })),
    batch_max_entries: Type.Optional(Type.Integer({ minimum: 1, default: 1000, description: 'Most entries in one batch sent downstream (and one cursor write).' })),
    batch_max_bytes: Type.Optional(ByteSize({ default: '1MiB', description: 'A batch is sent once its messages reach this size.' })),
    batch_timeout: Type.Optional(Duration({ default: '200ms', description: 'Longest an incomplete batch waits for more entries before it is sent.' })),
    restart_backoff: Type.Optional(Type.Object({
      min: Type.Optional(Duration({ default: '1s', description: 'Wait before the first restart; doubled at each consecutive failure.' })),
      max: Type.Optional(Duration({ default: '1m', description: 'Longest wait between restarts.' })),
    }, { additionalProperties: false, description: 'How long to wait before restarting journalctl after it exited or a batch was refused downstream (restarts are counted).' })),
    kill_grace: Type.Optional(Duration({ default: '5s', description: 'On stop, journalctl gets SIGTERM, then SIGKILL after this long.' })),
  },
  { additionalProperties: false, description: 'Follows the systemd journal with journalctl, resuming from a saved cursor.' },
);

function ms(text: string | undefined, fallback: string): number {
  return Math.round((parseDuration(text ?? fallback) ?? (parseDuration(fallback) as number)) / 1000);
}

export default defineSource({
  kind: 'source',
  type: 'journald',
  description: 'Follows the systemd journal (journalctl -o json -f) with cursor checkpoints: unit, host, identifier and level as labels.',
  schema,
  example: {
    since: 'boot',
    units: ['ssh.service', 'nginx.service'],
    priority: 'info',
    labels: { job: 'journal' },
    fields: ['_PID', '_COMM', '_TRANSPORT', 'CODE_FILE'],
  },
  build(config, ctx) {
    const where = `sources.${ctx.id}`;
    const bytes = (v: string | number | undefined, fallback: number, key: string): number => {
      const n = v === undefined ? fallback : parseBytes(v);
      if (n === undefined || n < 1) throw new Error(`${where}.${key}: must be at least 1 byte`);
      return n;
    };
    const backoffMinMs = Math.max(1, ms(config.restart_backoff?.min, '1s'));
    const backoffMaxMs = Math.max(1, ms(config.restart_backoff?.max, '1m'));
    if (backoffMaxMs < backoffMinMs) throw new Error(`${where}.restart_backoff: max is less than min`);
    const since = config.since ?? 'now';
    if (since.startsWith('--')) throw new Error(`${where}.since: not a time: ${since}`);
    return new JournaldSource(ctx, {
      journalctlPath: config.journalctl_path ?? 'journalctl',
      command: {
        since,
        units: config.units ?? [],
        matches: config.matches ?? [],
        priority: config.priority === undefined ? undefined : String(config.priority),
        directory: config.directory,
        currentBootOnly: config.current_boot_only ?? false,
      },
      mapper: {
        labels: config.labels ?? {},
        labelsFrom: config.labels_from ?? { ...DEFAULT_LABELS_FROM },
        fields: config.fields ?? DEFAULT_FIELDS,
      },
      maxEntryBytes: bytes(config.max_entry_size, 4 * 1024 * 1024, 'max_entry_size'),
      batchMaxEntries: config.batch_max_entries ?? 1000,
      batchMaxBytes: bytes(config.batch_max_bytes, 1024 * 1024, 'batch_max_bytes'),
      batchTimeoutMs: Math.max(1, ms(config.batch_timeout, '200ms')),
      backoffMinMs,
      backoffMaxMs,
      killGraceMs: ms(config.kill_grace, '5s'),
    });
  },
});
