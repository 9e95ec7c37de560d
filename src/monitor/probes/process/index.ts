/**
 * `process` probe: is a process running? Found by pidfile, or by a regex over its name (comm) or
 * command line; success when the number found is within [min_count, max_count]. Reports
 * process-exporter-style totals of what it found: count, CPU seconds and resident memory.
 */
import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { anchoredGoRegExp, goRegExp } from '../../../core/regex.js';
import { Regex } from '../../../config/types.js';
import { defineProbe, type ProbeOutcome } from '../../probe.js';
import { listPids, readCmdline, readComm, readProc, type ProcInfo } from './proc.js';

const Schema = Type.Object(
  {
    pidfile: Type.Optional(Type.String({ minLength: 1, description: 'File holding the pid; the process must exist.' })),
    name: Type.Optional(Regex({ description: 'Regex over the process name (/proc/<pid>/comm, 15 chars), fully anchored: `nginx` matches only nginx.' })),
    cmdline: Type.Optional(Regex({ description: 'Regex over the command line (arguments joined by spaces), unanchored.' })),
    min_count: Type.Integer({ minimum: 0, default: 1, description: 'Fewest matching processes that count as up.' }),
    max_count: Type.Optional(Type.Integer({ minimum: 0, description: 'Most matching processes that count as up.' })),
    proc_root: Type.String({ default: '/proc', description: 'Where procfs is mounted (a container watching its host: /host/proc).' }),
  },
  { additionalProperties: false },
);

export default defineProbe({
  type: 'process',
  description: 'Checks that a process runs (pidfile, name or command line) and reports its CPU and memory.',
  schema: Schema,
  example: { name: 'nginx', min_count: 1, proc_root: '/proc' },
  build(cfg) {
    const ways = [cfg.pidfile, cfg.name, cfg.cmdline].filter((x) => x !== undefined).length;
    if (ways !== 1) throw new Error('set exactly one of pidfile, name, cmdline');
    if (cfg.max_count !== undefined && cfg.max_count < cfg.min_count) throw new Error('max_count must be >= min_count');
    const root = cfg.proc_root;
    const nameRe = cfg.name === undefined ? undefined : anchoredGoRegExp(cfg.name);
    const cmdRe = cfg.cmdline === undefined ? undefined : goRegExp(cfg.cmdline);
    const what = cfg.pidfile !== undefined ? `pidfile ${cfg.pidfile}` : cfg.name !== undefined ? `name ${JSON.stringify(cfg.name)}` : `cmdline ${JSON.stringify(cfg.cmdline)}`;
    const self = process.pid;

    async function find(): Promise<ProcInfo[] | string> {
      if (cfg.pidfile !== undefined) {
        let text: string;
        try {
          text = await readFile(cfg.pidfile, 'utf8');
        } catch (e) {
          return `cannot read pidfile ${cfg.pidfile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        }
        const pid = Number(text.trim());
        if (!Number.isInteger(pid) || pid <= 0) return `pidfile ${cfg.pidfile} holds no pid`;
        const p = await readProc(pid, root);
        return p ? [p] : [];
      }
      const found: ProcInfo[] = [];
      for (const pid of await listPids(root)) {
        if (pid === self) continue; // Vigil's own command line contains the pattern it was configured with
        // One cheap read decides; only matches pay for the full read (three files).
        const key = nameRe ? await readComm(pid, root) : await readCmdline(pid, root);
        if (key === undefined || !(nameRe ?? cmdRe)?.test(key)) continue;
        const p = await readProc(pid, root);
        if (p) found.push(p);
      }
      return found;
    }

    return {
      async run(signal): Promise<ProbeOutcome> {
        const t0 = performance.now();
        let found: ProcInfo[] | string;
        try {
          found = await find();
        } catch (e) {
          found = `cannot read ${root}: ${(e as Error).message}`;
        }
        const durationSeconds = (performance.now() - t0) / 1000;
        if (typeof found === 'string') return { success: false, durationSeconds, reason: found, samples: [] };
        if (signal.aborted) return { success: false, durationSeconds, reason: `timeout after ${Math.round(durationSeconds)}s scanning ${root}`, samples: [] };
        const n = found.length;
        const samples = [
          { name: 'probe_process_count', value: n },
          { name: 'probe_process_cpu_seconds_total', value: found.reduce((s, p) => s + p.cpuSeconds, 0) },
          { name: 'probe_process_resident_memory_bytes', value: found.reduce((s, p) => s + p.rssBytes, 0) },
        ];
        let reason: string | undefined;
        if (n < cfg.min_count && n === 0) reason = `no process found by ${what}`;
        else if (n < cfg.min_count) reason = `${n} process${n === 1 ? '' : 'es'} found by ${what}, expected at least ${cfg.min_count}`;
        else if (cfg.max_count !== undefined && n > cfg.max_count) reason = `${n} processes found by ${what}, expected at most ${cfg.max_count}`;
        return reason ? { success: false, durationSeconds, reason, samples } : { success: true, durationSeconds, samples };
      },
    };
  },
});
