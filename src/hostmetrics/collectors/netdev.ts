/**
 * `netdev`: /proc/net/dev with node_exporter's names (node_network_receive_bytes_total{device},
 * ..._errs_total, ..._drop_total, transmit_colls/carrier).
 */
import { family, fields, lines, num, type Collector, type MetricFamily, type MetricSample } from '../types.js';

const RECEIVE = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'] as const;
const TRANSMIT = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'] as const;
const NAMES = [...RECEIVE.map((k) => `receive_${k}`), ...TRANSMIT.map((k) => `transmit_${k}`)];

/** Builds the collector; `exclude` is node_exporter's `--collector.netdev.device-exclude` (undefined: none). */
export function netdevCollector(exclude: RegExp | undefined): Collector {
  return {
    name: 'netdev',
    async collect(ctx) {
      const text = await ctx.proc('net/dev');
      const per: MetricSample[][] = NAMES.map(() => []);
      const ls = lines(text);
      // Two header lines, then `  name: 16 numbers`.
      for (let i = 2; i < ls.length; i++) {
        const line = ls[i] as string;
        const colon = line.indexOf(':');
        if (colon < 0) throw new Error(`/proc/net/dev:${i + 1}: no ':' after the interface name`);
        const device = line.slice(0, colon).trim();
        if (exclude?.test(device)) continue;
        const f = fields(line.slice(colon + 1));
        if (f.length < NAMES.length) throw new Error(`/proc/net/dev:${i + 1}: ${device} has ${f.length} fields, want ${NAMES.length}`);
        for (let k = 0; k < NAMES.length; k++) {
          (per[k] as MetricSample[]).push({ labels: { device }, value: num(f[k], '/proc/net/dev', i + 1, `${device} ${NAMES[k]}`) });
        }
      }
      const out: MetricFamily[] = [];
      NAMES.forEach((n, k) => {
        const samples = per[k] as MetricSample[];
        if (samples.length > 0) out.push(family(`node_network_${n}_total`, 'counter', `Network device statistic ${n}.`, samples));
      });
      return out;
    },
  };
}
