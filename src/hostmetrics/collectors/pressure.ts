/** `pressure`: PSI totals from /proc/pressure/{cpu,io,memory} (microseconds → seconds), as node_exporter 1.5. */
import { NoDataError, family, fields, lines, num, type Collector, type MetricFamily } from '../types.js';

const NAMES: Record<string, { some: [string, string]; full?: [string, string] }> = {
  cpu: { some: ['node_pressure_cpu_waiting_seconds_total', 'Total time in seconds that processes have waited for CPU time'] },
  io: {
    some: ['node_pressure_io_waiting_seconds_total', 'Total time in seconds that processes have waited due to IO congestion'],
    full: ['node_pressure_io_stalled_seconds_total', 'Total time in seconds no process could make progress due to IO congestion'],
  },
  memory: {
    some: ['node_pressure_memory_waiting_seconds_total', 'Total time in seconds that processes have waited for memory'],
    full: ['node_pressure_memory_stalled_seconds_total', 'Total time in seconds no process could make progress due to memory congestion'],
  },
};

/** `total=` of the `some` and `full` lines, in microseconds. */
function parsePsi(text: string, file: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const f = fields(ls[i] as string);
    const kind = f[0];
    if (kind !== 'some' && kind !== 'full') continue;
    const total = f.find((x) => x.startsWith('total='));
    if (!total) throw new Error(`${file}:${i + 1}: no total= field`);
    out[kind] = num(total.slice(6), file, i + 1, `${kind} total`);
  }
  return out;
}

export const pressureCollector: Collector = {
  name: 'pressure',
  async collect(ctx) {
    const out: MetricFamily[] = [];
    for (const res of ['cpu', 'io', 'memory']) {
      let text: string;
      try {
        text = await ctx.proc(`pressure/${res}`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // No PSI (kernel < 4.20, or psi=0 at boot: reads fail with EOPNOTSUPP).
        if (code === 'ENOENT' || code === 'EOPNOTSUPP') throw new NoDataError('pressure information is unavailable');
        throw e;
      }
      const psi = parsePsi(text, `/proc/pressure/${res}`);
      const n = NAMES[res] as (typeof NAMES)[string];
      if (psi.some === undefined) throw new Error(`/proc/pressure/${res}: no "some" line`);
      out.push(family(n.some[0], 'counter', n.some[1], [{ labels: {}, value: psi.some / 1e6 }]));
      if (n.full && psi.full !== undefined) out.push(family(n.full[0], 'counter', n.full[1], [{ labels: {}, value: psi.full / 1e6 }]));
    }
    return out;
  },
};
