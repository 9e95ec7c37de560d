import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildCollectors, COLLECTOR_NAMES, type CollectorName } from './collectors/index.js';
import { unescapeMountField } from './collectors/filesystem.js';
import { parseOsRelease } from './collectors/system.js';
import { makeContext } from './context.js';
import { DEFAULT_DISK_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from './schema.js';
import type { MetricFamily, StatfsResult } from './types.js';
import { goRegExp } from '../core/regex.js';

const HOST1 = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata', 'host1');
const FS: StatfsResult = { bsize: 4096, blocks: 1000, bfree: 600, bavail: 500, files: 200, ffree: 150 };

function opts(statfsTimeoutMs = 200) {
  return {
    filesystem: { mountPointsExclude: goRegExp(DEFAULT_MOUNT_POINTS_EXCLUDE), fsTypesExclude: goRegExp(DEFAULT_FS_TYPES_EXCLUDE), statfsTimeoutMs },
    diskDeviceExclude: goRegExp(DEFAULT_DISK_DEVICE_EXCLUDE),
    netDeviceExclude: undefined,
    netclassDeviceExclude: undefined,
  };
}

const statfs = async (mp: string): Promise<StatfsResult> => {
  if (mp === '/mnt/stuck') return new Promise(() => {}); // an NFS server that never answers
  return FS;
};

async function run(name: CollectorName, root = HOST1): Promise<MetricFamily[]> {
  const [c] = buildCollectors([name], opts());
  return c!.collect(makeContext(root, 1_795_790_000_123, statfs));
}

function value(fams: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = fams.find((x) => x.name === name);
  const s = f?.samples.find((x) => Object.keys(labels).every((k) => x.labels[k] === labels[k]) && Object.keys(x.labels).length >= Object.keys(labels).length);
  return s?.value;
}

test('cpu: per-cpu seconds are USER_HZ ticks / 100, every mode, guest modes separate', async () => {
  const f = await run('cpu');
  const secs = f.find((x) => x.name === 'node_cpu_seconds_total')!;
  assert.equal(secs.type, 'counter');
  assert.equal(secs.samples.length, 16); // 2 cpus x 8 modes; the aggregate `cpu` line is not exported
  assert.equal(value(f, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 4394.94);
  assert.equal(value(f, 'node_cpu_seconds_total', { cpu: '1', mode: 'idle' }), 3480.01);
  assert.equal(value(f, 'node_cpu_seconds_total', { cpu: '1', mode: 'softirq' }), 41.05);
  assert.deepEqual(new Set(secs.samples.map((s) => s.labels.mode)), new Set(['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal']));
  assert.equal(f.find((x) => x.name === 'node_cpu_guest_seconds_total')!.samples.length, 4);
});

test('stat: counters and gauges from /proc/stat', async () => {
  const f = await run('stat');
  assert.equal(value(f, 'node_context_switches_total'), 32691658);
  assert.equal(value(f, 'node_boot_time_seconds'), 1795784039);
  assert.equal(value(f, 'node_forks_total'), 107486);
  assert.equal(value(f, 'node_procs_running'), 11);
  assert.equal(value(f, 'node_procs_blocked'), 0);
  assert.equal(value(f, 'node_intr_total'), 10736726);
  assert.equal(f.find((x) => x.name === 'node_intr_total')!.type, 'counter');
});

test('meminfo: every line, kB to bytes, parentheses to underscores, unitless lines without _bytes', async () => {
  const f = await run('meminfo');
  assert.equal(value(f, 'node_memory_MemTotal_bytes'), 24683620 * 1024);
  assert.equal(value(f, 'node_memory_Active_anon_bytes'), 1656 * 1024);
  assert.equal(value(f, 'node_memory_HugePages_Total'), 0);
  assert.equal(value(f, 'node_memory_Hugepagesize_bytes'), 2048 * 1024);
  const lines = (await import('node:fs')).readFileSync(join(HOST1, 'proc/meminfo'), 'latin1').trim().split('\n').length;
  assert.equal(f.length, lines);
});

test('loadavg, filefd, pressure, vmstat, netstat', async () => {
  assert.deepEqual((await run('loadavg')).map((x) => [x.name, x.samples[0]!.value]), [['node_load1', 13.9], ['node_load5', 8.05], ['node_load15', 4.57]]);
  const fd = await run('filefd');
  assert.equal(value(fd, 'node_filefd_allocated'), 1168);
  assert.equal(value(fd, 'node_filefd_maximum'), 2466160);
  const p = await run('pressure');
  assert.equal(value(p, 'node_pressure_io_waiting_seconds_total'), 84.488288);
  assert.equal(value(p, 'node_pressure_io_stalled_seconds_total'), 46.236769);
  assert.equal(p.find((x) => x.name === 'node_pressure_cpu_stalled_seconds_total'), undefined); // not in node_exporter 1.5
  const vm = await run('vmstat');
  assert.equal(value(vm, 'node_vmstat_pgfault'), 135866147);
  assert.equal(value(vm, 'node_vmstat_oom_kill'), 0);
  assert.equal(vm.find((x) => x.name === 'node_vmstat_nr_free_pages'), undefined);
  assert.equal(vm[0]!.type, 'untyped');
  const ns = await run('netstat');
  assert.equal(value(ns, 'node_netstat_Tcp_ActiveOpens'), 2642);
  assert.equal(value(ns, 'node_netstat_Tcp_CurrEstab'), 2);
  assert.equal(value(ns, 'node_netstat_Ip6_InOctets'), 2704);
  assert.equal(ns.find((x) => x.name === 'node_netstat_Tcp_RtoMin'), undefined);
});

test('diskstats: default exclusions, sectors to bytes, ms to s, fewer counters on old kernels', async () => {
  const f = await run('diskstats');
  const devices = new Set(f.find((x) => x.name === 'node_disk_info')!.samples.map((s) => s.labels.device));
  assert.deepEqual(devices, new Set(['vda', 'zram0', 'sda'])); // loop0-7 and sda1 excluded
  assert.equal(value(f, 'node_disk_reads_completed_total', { device: 'vda' }), 257466);
  assert.equal(value(f, 'node_disk_read_bytes_total', { device: 'vda' }), 11262546 * 512);
  assert.equal(value(f, 'node_disk_read_time_seconds_total', { device: 'vda' }), 168.341);
  assert.equal(value(f, 'node_disk_written_bytes_total', { device: 'vda' }), 125800064 * 512);
  assert.equal(value(f, 'node_disk_io_time_seconds_total', { device: 'vda' }), 156.856);
  assert.equal(value(f, 'node_disk_discarded_sectors_total', { device: 'vda' }), 112135584);
  assert.equal(value(f, 'node_disk_flush_requests_time_seconds_total', { device: 'vda' }), 61.628);
  assert.deepEqual(f.find((x) => x.name === 'node_disk_info')!.samples.find((s) => s.labels.device === 'vda')!.labels, { device: 'vda', major: '254', minor: '0' });
  // sda has the pre-4.18 layout (11 counters): no discard or flush series for it
  assert.equal(value(f, 'node_disk_io_time_weighted_seconds_total', { device: 'sda' }), 0.05);
  assert.equal(value(f, 'node_disk_discards_completed_total', { device: 'sda' }), undefined);
});

test('netdev: every interface with /proc/net/dev names', async () => {
  const f = await run('netdev');
  assert.equal(value(f, 'node_network_receive_bytes_total', { device: 'eth0' }), 611158581);
  assert.equal(value(f, 'node_network_transmit_packets_total', { device: 'eth0' }), 32801);
  assert.equal(f.length, 16);
  assert.ok(f.some((x) => x.name === 'node_network_transmit_colls_total'));
  assert.deepEqual(new Set(f[0]!.samples.map((s) => s.labels.device)), new Set(['lo', 'ifb0', 'ifb1', 'eth0']));
  const [c] = buildCollectors(['netdev'], { ...opts(), netDeviceExclude: goRegExp('^lo$') });
  const g = await c!.collect(makeContext(HOST1, 0, statfs));
  assert.ok(!g[0]!.samples.some((s) => s.labels.device === 'lo'));
});

test('filesystem: escaped names, exclusions, duplicates once, read-only, stuck mount = device_error', async () => {
  const t0 = Date.now();
  const f = await run('filesystem');
  assert.ok(Date.now() - t0 < 2000, 'the stuck statfs is abandoned at the timeout');
  const err = f.find((x) => x.name === 'node_filesystem_device_error')!;
  assert.deepEqual(
    err.samples.map((s) => [s.labels.mountpoint, s.labels.device, s.labels.fstype, s.value]),
    [
      ['/', '/dev/vda', 'ext4', 0],
      ['/mnt/my disk', '/dev/disk by label', 'ext4', 0],
      ['/run/user/1000', 'tmpfs', 'tmpfs', 0],
      ['/mnt/stuck', 'nfs:/export', 'nfs', 1],
    ],
  );
  assert.equal(value(f, 'node_filesystem_readonly', { mountpoint: '/mnt/my disk' }), 1);
  assert.equal(value(f, 'node_filesystem_readonly', { mountpoint: '/' }), 0);
  assert.equal(value(f, 'node_filesystem_size_bytes', { mountpoint: '/' }), 4096 * 1000);
  assert.equal(value(f, 'node_filesystem_free_bytes', { mountpoint: '/' }), 4096 * 600);
  assert.equal(value(f, 'node_filesystem_avail_bytes', { mountpoint: '/' }), 4096 * 500);
  assert.equal(value(f, 'node_filesystem_files', { mountpoint: '/' }), 200);
  assert.equal(value(f, 'node_filesystem_files_free', { mountpoint: '/' }), 150);
  assert.equal(value(f, 'node_filesystem_size_bytes', { mountpoint: '/mnt/stuck' }), undefined);
  assert.equal(unescapeMountField('a\\011b\\134c'), 'a\tb\\c');
});

test('uname, os, time from the fixture tree', async () => {
  const u = await run('uname');
  assert.deepEqual(Object.keys(u[0]!.samples[0]!.labels).sort(), ['domainname', 'machine', 'nodename', 'release', 'sysname', 'version']);
  assert.equal(u[0]!.samples[0]!.labels.nodename, 'fixture-host');
  assert.equal(u[0]!.samples[0]!.labels.sysname, 'Linux');
  const o = await run('os');
  assert.equal(o[0]!.samples[0]!.labels.id, 'debian');
  assert.equal(value(o, 'node_os_version'), 12);
  assert.deepEqual([...parseOsRelease('A="x \\"y\\""\n# c\nB=\'z\'\nC=plain\n')], [['A', 'x "y"'], ['B', 'z'], ['C', 'plain']]);
  const t = await run('time');
  assert.equal(value(t, 'node_time_seconds'), 1_795_790_000.123);
  assert.equal(value(t, 'node_time_clocksource_current_info', { clocksource: 'kvm-clock', device: '0' }), 1);
});

test('every collector runs on the fixture tree', async () => {
  for (const n of COLLECTOR_NAMES) assert.ok((await run(n)).length > 0, n);
});

test('netclass: sysfs properties per interface, only those the kernel answers', async () => {
  const f = await run('netclass');
  assert.deepEqual(new Set(f.find((x) => x.name === 'node_network_up')!.samples.map((s) => s.labels.device)), new Set(['eth0', 'ifb0', 'lo'])); // not bonding_masters
  assert.equal(value(f, 'node_network_up', { device: 'eth0' }), 1);
  assert.equal(value(f, 'node_network_up', { device: 'lo' }), 0); // operstate "unknown"
  assert.equal(value(f, 'node_network_flags', { device: 'eth0' }), 0x1003);
  assert.equal(value(f, 'node_network_mtu_bytes', { device: 'lo' }), 65536);
  assert.equal(value(f, 'node_network_speed_bytes', { device: 'eth0' }), -125000);
  assert.equal(value(f, 'node_network_carrier', { device: 'ifb0' }), undefined); // a down link refuses carrier
  assert.equal(f.find((x) => x.name === 'node_network_info')!.samples.find((s) => s.labels.device === 'eth0')!.labels.operstate, 'up');
});
