/**
 * `cpu` and `stat` collectors: both read /proc/stat (once per collection, the context memoises it),
 * as node_exporter's cpu_linux.go and stat_linux.go do through procfs.
 */
import { family, fields, lines, num, type Collector, type MetricFamily, type MetricSample } from '../types.js';

/** The kernel's USER_HZ: /proc/stat counts ticks of 1/100 s on every Linux ABI. */
const USER_HZ = 100;
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export const cpuCollector: Collector = {
  name: 'cpu',
  async collect(ctx) {
    const text = await ctx.proc('stat');
    const secs: MetricSample[] = [];
    const guest: MetricSample[] = [];
    const ls = lines(text);
    for (let i = 0; i < ls.length; i++) {
      const line = ls[i] as string;
      // `cpuN ...` lines only; the aggregate `cpu ` line is not exported by node_exporter.
      if (!line.startsWith('cpu') || line.charCodeAt(3) < 48 || line.charCodeAt(3) > 57) continue;
      const f = fields(line);
      const cpu = (f[0] as string).slice(3);
      if (f.length < 5) throw new Error(`/proc/stat:${i + 1}: ${f[0]} has ${f.length - 1} fields, want at least 4`);
      for (let m = 0; m < CPU_MODES.length; m++) {
        const raw = f[m + 1];
        const v = raw === undefined ? 0 : num(raw, '/proc/stat', i + 1, `${f[0]} ${CPU_MODES[m]}`);
        secs.push({ labels: { cpu, mode: CPU_MODES[m] as string }, value: v / USER_HZ });
      }
      const g = f[9] === undefined ? 0 : num(f[9], '/proc/stat', i + 1, `${f[0]} guest`);
      const gn = f[10] === undefined ? 0 : num(f[10], '/proc/stat', i + 1, `${f[0]} guest_nice`);
      guest.push({ labels: { cpu, mode: 'user' }, value: g / USER_HZ }, { labels: { cpu, mode: 'nice' }, value: gn / USER_HZ });
    }
    if (secs.length === 0) throw new Error('/proc/stat: no cpuN lines');
    return [
      family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', secs),
      family('node_cpu_guest_seconds_total', 'counter', 'Seconds the CPUs spent in guests (VMs) for each mode.', guest),
    ];
  },
};

export const statCollector: Collector = {
  name: 'stat',
  async collect(ctx) {
    const text = await ctx.proc('stat');
    const out: MetricFamily[] = [];
    const one = (name: string, type: 'counter' | 'gauge', help: string, value: number) =>
      out.push(family(name, type, help, [{ labels: {}, value }]));
    const ls = lines(text);
    for (let i = 0; i < ls.length; i++) {
      const line = ls[i] as string;
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      const key = line.slice(0, sp);
      const value = () => {
        // `intr` continues with per-IRQ counts; the first number is the total.
        let j = sp + 1;
        while (line.charCodeAt(j) === 32) j++;
        let end = line.indexOf(' ', j);
        if (end < 0) end = line.length;
        return num(line.slice(j, end), '/proc/stat', i + 1, key);
      };
      switch (key) {
        case 'intr':
          one('node_intr_total', 'counter', 'Total number of interrupts serviced.', value());
          break;
        case 'ctxt':
          one('node_context_switches_total', 'counter', 'Total number of context switches.', value());
          break;
        case 'btime':
          one('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', value());
          break;
        case 'processes':
          one('node_forks_total', 'counter', 'Total number of forks.', value());
          break;
        case 'procs_running':
          one('node_procs_running', 'gauge', 'Number of processes in runnable state.', value());
          break;
        case 'procs_blocked':
          one('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', value());
          break;
      }
    }
    if (out.length === 0) throw new Error('/proc/stat: none of intr, ctxt, btime, processes, procs_running, procs_blocked found');
    return out;
  },
};
