/**
 * `netclass`: /sys/class/net/<iface>/* as node_exporter 1.5 exports it. Each attribute is emitted
 * only when the kernel answers for it (a down interface refuses `carrier` and `speed` with EINVAL).
 */
import { family, type Collector, type MetricFamily, type MetricSample } from '../types.js';

/** [sysfs attribute, metric name, type, scale]. */
const ATTRS: ReadonlyArray<readonly [string, string, 'gauge' | 'counter', number]> = [
  ['addr_assign_type', 'node_network_address_assign_type', 'gauge', 1],
  ['carrier', 'node_network_carrier', 'gauge', 1],
  ['carrier_changes', 'node_network_carrier_changes_total', 'counter', 1],
  ['carrier_up_count', 'node_network_carrier_up_changes_total', 'counter', 1],
  ['carrier_down_count', 'node_network_carrier_down_changes_total', 'counter', 1],
  ['dev_id', 'node_network_device_id', 'gauge', 1],
  ['dormant', 'node_network_dormant', 'gauge', 1],
  ['flags', 'node_network_flags', 'gauge', 1],
  ['ifindex', 'node_network_iface_id', 'gauge', 1],
  ['iflink', 'node_network_iface_link', 'gauge', 1],
  ['link_mode', 'node_network_iface_link_mode', 'gauge', 1],
  ['mtu', 'node_network_mtu_bytes', 'gauge', 1],
  ['name_assign_type', 'node_network_name_assign_type', 'gauge', 1],
  ['netdev_group', 'node_network_net_dev_group', 'gauge', 1],
  ['speed', 'node_network_speed_bytes', 'gauge', 125_000], // Mbit/s to bytes/s
  ['tx_queue_len', 'node_network_transmit_queue_length', 'gauge', 1],
  ['type', 'node_network_protocol_type', 'gauge', 1],
];

/** Builds the collector; `exclude` is `--collector.netclass.ignored-devices` (undefined: none). */
export function netclassCollector(exclude: RegExp | undefined): Collector {
  return {
    name: 'netclass',
    async collect(ctx) {
      const devices = (await ctx.sysDir('class/net')).sort();
      const up: MetricSample[] = [];
      const info: MetricSample[] = [];
      const per: MetricSample[][] = ATTRS.map(() => []);
      const attr = async (dev: string, a: string): Promise<string | undefined> => {
        try {
          return (await ctx.sys(`class/net/${dev}/${a}`)).trim();
        } catch {
          return undefined; // EINVAL on a down link, ENOENT on older kernels
        }
      };
      for (const device of devices) {
        if (exclude?.test(device)) continue;
        // `bonding_masters` and other plain files sit beside the interface directories
        if ((await attr(device, 'ifindex')) === undefined) continue;
        const operstate = (await attr(device, 'operstate')) ?? '';
        up.push({ labels: { device }, value: operstate === 'up' ? 1 : 0 });
        const labels: Record<string, string> = { device, operstate };
        for (const l of ['address', 'broadcast', 'duplex', 'ifalias'] as const) {
          const v = await attr(device, l);
          if (v) labels[l] = v;
        }
        info.push({ labels, value: 1 });
        for (let i = 0; i < ATTRS.length; i++) {
          const [name, , , scale] = ATTRS[i] as (typeof ATTRS)[number];
          const raw = await attr(device, name);
          if (raw === undefined || raw === '') continue;
          const v = Number(raw); // flags and dev_id are hex (0x1003), the rest decimal
          if (Number.isNaN(v)) throw new Error(`/sys/class/net/${device}/${name}: not a number: ${JSON.stringify(raw.slice(0, 40))}`);
          (per[i] as MetricSample[]).push({ labels: { device }, value: v * scale });
        }
      }
      const out: MetricFamily[] = [
        family('node_network_up', 'gauge', "Value is 1 if operstate is 'up', 0 otherwise.", up),
        family('node_network_info', 'gauge', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', info),
      ];
      ATTRS.forEach(([, name, type], i) => {
        const samples = per[i] as MetricSample[];
        if (samples.length > 0) out.push(family(name, type, `Network device property: ${name.slice("node_network_".length)}`, samples));
      });
      return out;
    },
  };
}
