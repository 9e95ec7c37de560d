/**
 * `diskstats`: /proc/diskstats with node_exporter's names and units (sectors * 512 bytes, ticks in
 * ms / 1000 s), emitting only as many counters as the kernel prints fields (4.18 added discards,
 * 5.5 flushes), plus node_disk_info from the line (and udev's database when readable).
 */
import { family, fields, lines, num, type Collector, type MetricFamily, type MetricSample } from '../types.js';

const SECTOR = 512;
const MS = 0.001;

/** [metric name, type, help, scale] in the order of the kernel's fields after the device name. */
const STATS: ReadonlyArray<readonly [string, 'counter' | 'gauge', string, number]> = [
  ['node_disk_reads_completed_total', 'counter', 'The total number of reads completed successfully.', 1],
  ['node_disk_reads_merged_total', 'counter', 'The total number of reads merged.', 1],
  ['node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.', SECTOR],
  ['node_disk_read_time_seconds_total', 'counter', 'The total number of seconds spent by all reads.', MS],
  ['node_disk_writes_completed_total', 'counter', 'The total number of writes completed successfully.', 1],
  ['node_disk_writes_merged_total', 'counter', 'The number of writes merged.', 1],
  ['node_disk_written_bytes_total', 'counter', 'The total number of bytes written successfully.', SECTOR],
  ['node_disk_write_time_seconds_total', 'counter', 'This is the total number of seconds spent by all writes.', MS],
  ['node_disk_io_now', 'gauge', 'The number of I/Os currently in progress.', 1],
  ['node_disk_io_time_seconds_total', 'counter', 'Total seconds spent doing I/Os.', MS],
  ['node_disk_io_time_weighted_seconds_total', 'counter', 'The weighted # of seconds spent doing I/Os.', MS],
  ['node_disk_discards_completed_total', 'counter', 'The total number of discards completed successfully.', 1],
  ['node_disk_discards_merged_total', 'counter', 'The total number of discards merged.', 1],
  ['node_disk_discarded_sectors_total', 'counter', 'The total number of sectors discarded successfully.', 1],
  ['node_disk_discard_time_seconds_total', 'counter', 'This is the total number of seconds spent by all discards.', MS],
  ['node_disk_flush_requests_total', 'counter', 'The total number of flush requests completed successfully', 1],
  ['node_disk_flush_requests_time_seconds_total', 'counter', 'This is the total number of seconds spent by all flush requests.', MS],
];

/** Properties of udev's database entry (`E:KEY=value` lines); empty when unreadable. */
async function udevProps(read: (abs: string) => Promise<string>, major: string, minor: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  let text: string;
  try {
    text = await read(`/run/udev/data/b${major}:${minor}`);
  } catch {
    return m; // no udev database (containers, VMs without udev): the info labels stay empty
  }
  for (const line of lines(text)) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) m.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return m;
}

/** Builds the collector; `exclude` is node_exporter's `--collector.diskstats.device-exclude`. */
export function diskstatsCollector(exclude: RegExp): Collector {
  return {
    name: 'diskstats',
    async collect(ctx) {
      const text = await ctx.proc('diskstats');
      const perStat: MetricSample[][] = STATS.map(() => []);
      const info: MetricSample[] = [];
      const ls = lines(text);
      for (let i = 0; i < ls.length; i++) {
        const f = fields(ls[i] as string);
        if (f.length === 0) continue;
        if (f.length < 14) throw new Error(`/proc/diskstats:${i + 1}: ${f.length} fields, want at least 14`);
        const device = f[2] as string;
        if (exclude.test(device)) continue;
        const major = f[0] as string;
        const minor = f[1] as string;
        const udev = await udevProps(ctx.rootFile, major, minor);
        const labels: Record<string, string> = { device, major, minor };
        for (const [label, key] of [['path', 'ID_PATH'], ['wwn', 'ID_WWN'], ['model', 'ID_MODEL'], ['revision', 'ID_REVISION']] as const) {
          const v = udev.get(key);
          if (v) labels[label] = v;
        }
        const serial = udev.get('SCSI_IDENT_SERIAL') || udev.get('ID_SERIAL_SHORT') || udev.get('ID_SERIAL');
        if (serial) labels.serial = serial;
        info.push({ labels, value: 1 });
        const n = Math.min(f.length - 3, STATS.length);
        for (let s = 0; s < n; s++) {
          const [, , , scale] = STATS[s] as (typeof STATS)[number];
          const raw = num(f[s + 3], '/proc/diskstats', i + 1, `${device} field ${s + 4}`);
          (perStat[s] as MetricSample[]).push({ labels: { device }, value: raw * scale });
        }
      }
      const out: MetricFamily[] = [family('node_disk_info', 'gauge', 'Info of /sys/block/<block_device>.', info)];
      STATS.forEach(([name, type, help], s) => {
        const samples = perStat[s] as MetricSample[];
        if (samples.length > 0) out.push(family(name, type, help, samples));
      });
      return out;
    },
  };
}
