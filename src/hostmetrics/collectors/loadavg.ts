/** `loadavg` and `filefd`: one small /proc file each. */
import { family, fields, num, type Collector } from '../types.js';

export const loadavgCollector: Collector = {
  name: 'loadavg',
  async collect(ctx) {
    const f = fields((await ctx.proc('loadavg')).trim());
    return [
      family('node_load1', 'gauge', '1m load average.', [{ labels: {}, value: num(f[0], '/proc/loadavg', 1, 'load1') }]),
      family('node_load5', 'gauge', '5m load average.', [{ labels: {}, value: num(f[1], '/proc/loadavg', 1, 'load5') }]),
      family('node_load15', 'gauge', '15m load average.', [{ labels: {}, value: num(f[2], '/proc/loadavg', 1, 'load15') }]),
    ];
  },
};

export const filefdCollector: Collector = {
  name: 'filefd',
  async collect(ctx) {
    const f = fields((await ctx.proc('sys/fs/file-nr')).trim());
    return [
      family('node_filefd_allocated', 'gauge', 'File descriptor statistics: allocated.', [{ labels: {}, value: num(f[0], '/proc/sys/fs/file-nr', 1, 'allocated') }]),
      family('node_filefd_maximum', 'gauge', 'File descriptor statistics: maximum.', [{ labels: {}, value: num(f[2], '/proc/sys/fs/file-nr', 1, 'maximum') }]),
    ];
  },
};
