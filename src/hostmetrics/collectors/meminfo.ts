/**
 * `meminfo`: every line of /proc/meminfo as node_exporter 1.x names it: `Active(anon):  123 kB`
 * becomes node_memory_Active_anon_bytes = 123 * 1024; lines without a unit (HugePages_Total)
 * keep their name without `_bytes`.
 */
import { family, fields, lines, num, type Collector, type MetricFamily } from '../types.js';

export const meminfoCollector: Collector = {
  name: 'meminfo',
  async collect(ctx) {
    const text = await ctx.proc('meminfo');
    const out: MetricFamily[] = [];
    const ls = lines(text);
    for (let i = 0; i < ls.length; i++) {
      const f = fields(ls[i] as string);
      if (f.length === 0) continue; // some 3.10 kernels print empty lines
      const rawKey = f[0] as string;
      let key = rawKey.endsWith(':') ? rawKey.slice(0, -1) : rawKey;
      const open = key.indexOf('(');
      if (open >= 0) {
        const close = key.lastIndexOf(')');
        if (close > open) key = `${key.slice(0, open)}_${key.slice(open + 1, close)}${key.slice(close + 1)}`;
      }
      let v = num(f[1], '/proc/meminfo', i + 1, key);
      if (f.length === 3) {
        v *= 1024;
        key += '_bytes';
      } else if (f.length !== 2) throw new Error(`/proc/meminfo:${i + 1}: invalid line ${JSON.stringify(ls[i])}`);
      const name = `node_memory_${key}`;
      out.push(family(name, key.endsWith('_total') ? 'counter' : 'gauge', `Memory information field ${key}.`, [{ labels: {}, value: v }]));
    }
    return out;
  },
};
