/**
 * `command` probe: runs a program (argv, or a string through /bin/sh -c) and judges its exit code
 * and output, like a Nagios/monit check. A timeout kills the whole process group.
 */
import { Type } from '@sinclair/typebox';
import { goRegExp } from '../../../core/regex.js';
import { formatDuration } from '../../../core/time.js';
import { Regex } from '../../../config/types.js';
import { runChild } from '../../child-process.js';
import { defineProbe, type ProbeOutcome, type ProbeSample } from '../../probe.js';

const Schema = Type.Object(
  {
    command: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 })], {
      description: 'A list is run as argv without a shell; a string is run by `/bin/sh -c`.',
    }),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { description: 'Extra environment variables (added to Vigil\'s own).' })),
    cwd: Type.Optional(Type.String({ description: 'Working directory.' })),
    expected_exit_codes: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { default: [0], minItems: 1, description: 'Exit codes that count as success.' }),
    stdout_match: Type.Optional(Regex({ description: 'Stdout must match this regex.' })),
    stdout_not_match: Type.Optional(Regex({ description: 'Stdout must not match this regex.' })),
    stderr_match: Type.Optional(Regex({ description: 'Stderr must match this regex.' })),
    stderr_not_match: Type.Optional(Regex({ description: 'Stderr must not match this regex.' })),
    max_output_bytes: Type.Integer({ minimum: 1, default: 65_536, description: 'Bytes of each of stdout and stderr kept for matching.' }),
  },
  { additionalProperties: false },
);

/** The first line of a text, shortened: enough for a reason an operator reads. */
function firstLine(s: string): string {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export default defineProbe({
  type: 'command',
  description: 'Runs a program; success is an expected exit code and output matching the patterns.',
  schema: Schema,
  example: { command: ['/usr/bin/test', '-f', '/var/run/app.pid'], expected_exit_codes: [0], max_output_bytes: 65_536 },
  build(cfg) {
    const argv = typeof cfg.command === 'string' ? ['/bin/sh', '-c', cfg.command] : cfg.command;
    const checks: Array<{ stream: 'stdout' | 'stderr'; re: RegExp; must: boolean; text: string }> = [];
    const add = (stream: 'stdout' | 'stderr', text: string | undefined, must: boolean): void => {
      if (text !== undefined) checks.push({ stream, re: goRegExp(text), must, text });
    };
    add('stdout', cfg.stdout_match, true);
    add('stdout', cfg.stdout_not_match, false);
    add('stderr', cfg.stderr_match, true);
    add('stderr', cfg.stderr_not_match, false);
    const expected = new Set(cfg.expected_exit_codes);
    // The child's environment is Vigil's own plus the configured extras (a probe command usually needs PATH/HOME).
    const env = cfg.env ? { ...process.env, ...cfg.env } : undefined;
    return {
      async run(signal, timeoutMs): Promise<ProbeOutcome> {
        const r = await runChild(argv, { env, cwd: cfg.cwd, signal, maxOutputBytes: cfg.max_output_bytes });
        const samples: ProbeSample[] = [];
        const durationSeconds = r.durationMs / 1000;
        const fail = (reason: string): ProbeOutcome => ({ success: false, durationSeconds, reason, samples });
        if (r.aborted) return fail(`timeout after ${formatDuration(timeoutMs * 1000)}`);
        if (r.spawnError) {
          const what = r.spawnError.code === 'ENOENT' ? (cfg.cwd !== undefined && r.spawnError.syscall === 'spawn' ? 'not found (or cwd missing)' : 'not found') : r.spawnError.message;
          return fail(`cannot run ${argv[0]}: ${what}`);
        }
        if (r.exitCode === undefined) return fail(`killed by ${r.signal ?? 'a signal'}`);
        samples.push({ name: 'probe_command_exit_code', value: r.exitCode });
        if (!expected.has(r.exitCode)) {
          const detail = firstLine(r.stderr) || firstLine(r.stdout);
          return fail(`exit code ${r.exitCode}${detail ? `: ${detail}` : ''}`);
        }
        for (const c of checks) {
          const hit = c.re.test(c.stream === 'stdout' ? r.stdout : r.stderr);
          if (hit !== c.must) return fail(`${c.stream} ${c.must ? 'does not match' : 'matches'} ${JSON.stringify(c.text)}`);
        }
        return { success: true, durationSeconds, samples };
      },
    };
  },
});
