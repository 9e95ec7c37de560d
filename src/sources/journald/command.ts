/**
 * The `journalctl` command line of the `journald` source: always JSON output of whole fields
 * (`--all`: without it journalctl prints fields over 4096 bytes as null), following, and starting
 * either just after the acknowledged cursor or, without one, where the `since` option says.
 */

export interface JournalctlOptions {
  /** `now`, `boot`, `beginning`, or a timestamp journalctl's `--since` understands. */
  since: string;
  units: readonly string[];
  /** Journal matches (`FIELD=value`, `+` for OR), passed as they are. */
  matches: readonly string[];
  /** Highest priority kept (`0`..`7`, `err`, or a range `err..warning`). */
  priority: string | undefined;
  /** Journal directory to read (`-D`) instead of the system journal. */
  directory: string | undefined;
  currentBootOnly: boolean;
}

/** Where a run of journalctl starts. */
export type StartPoint =
  /** Just after this entry (the last one read or acknowledged). */
  | { kind: 'cursor'; cursor: string }
  /** From this time on: `since: now` restarted before any entry was acknowledged. */
  | { kind: 'time'; sinceUs: number }
  /** As the `since` option says (first run, or after an invalid cursor). */
  | { kind: 'option' };

/** `@<seconds>.<micros>`, the exact form of a microsecond time that `--since` parses. */
export function epochArg(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  const frac = String(us - sec * 1_000_000).padStart(6, '0');
  return `@${sec}.${frac}`;
}

/** The argv (without the program) for one run; pure, so tests can check every combination. */
export function journalctlArgs(o: JournalctlOptions, start: StartPoint): string[] {
  const args = ['--output=json', '--all', '--follow', '--no-pager', '--quiet'];
  if (o.directory !== undefined) args.push(`--directory=${o.directory}`);
  let boot = o.currentBootOnly;
  switch (start.kind) {
    case 'cursor':
      args.push(`--after-cursor=${start.cursor}`, '--no-tail');
      break;
    case 'time':
      args.push(`--since=${epochArg(start.sinceUs)}`, '--no-tail');
      break;
    case 'option':
      if (o.since === 'now') args.push('--lines=0');
      else if (o.since === 'boot') {
        boot = true;
        args.push('--no-tail');
      } else if (o.since === 'beginning') args.push('--no-tail');
      else args.push(`--since=${o.since}`, '--no-tail');
      break;
  }
  if (boot) args.push('--boot');
  if (o.priority !== undefined) args.push(`--priority=${o.priority}`);
  for (const u of o.units) args.push(`--unit=${u}`);
  args.push(...o.matches);
  return args;
}
