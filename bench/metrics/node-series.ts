/**
 * node_exporter-like data for the PromQL bench: `hosts` targets, 52 series each (CPU seconds by
 * cpu and mode, memory, load, network, filesystem, disk, and a classic request-duration
 * histogram), scraped every 15 s. Deterministic for a seed, so Vigil and Prometheus get the very
 * same samples. Every series of a host shares its scrape timestamps (as one scrape gives them),
 * and a host's scrapes sit at a fixed millisecond offset within the 15 s grid, so no sample
 * lies on a whole-minute window edge: Prometheus 2 (closed left edge) and Prometheus 3 / Vigil
 * (open left edge) then select the same samples. Counters start far from zero and never reset
 * (rate's "extrapolate to zero" rule, which the two versions order differently, never applies).
 */

export const SCRAPE_MS = 15_000;
const MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'] as const;
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'] as const;

type Kind = 'cpu' | 'bytes_counter' | 'count_counter' | 'page_gauge' | 'const' | 'load' | 'hist_bucket' | 'hist_sum';

export interface GenSeries {
  /** Labels sorted by name, `__name__` first (the remote write order). */
  labels: Array<[string, string]>;
  host: number;
  kind: Kind;
  value: number;
  rate: number;
  /** For buckets: the share of requests at or under this bound (cumulative, so rates stay monotonic). */
  share: number;
}

/** A small LCG: fast, seedable, the same on every machine. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0;
    return this.s / 4294967296;
  }
}

function series(host: number, name: string, extra: Record<string, string>, kind: Kind, value: number, rate: number, share = 0): GenSeries {
  const labels: Record<string, string> = { ...extra, instance: `host-${String(host).padStart(3, '0')}:9100`, job: 'node' };
  const sorted = Object.entries(labels).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels: [['__name__', name], ...sorted], host, kind, value, rate, share };
}

/** The series of `hosts` hosts with their starting values (52 per host). */
export function makeSeries(hosts: number, seed = 42): GenSeries[] {
  const r = new Rng(seed);
  const out: GenSeries[] = [];
  for (let h = 0; h < hosts; h++) {
    for (let cpu = 0; cpu < 2; cpu++) {
      for (const mode of MODES) {
        const share = mode === 'idle' ? 0.6 + r.next() * 0.35 : r.next() * 0.08;
        out.push(series(h, 'node_cpu_seconds_total', { cpu: String(cpu), mode }, 'cpu', Math.round(1e5 + r.next() * 1e6) / 100, share));
      }
    }
    const total = (4 + Math.floor(r.next() * 60)) * 2 ** 30;
    out.push(series(h, 'node_memory_MemTotal_bytes', {}, 'const', total, 0));
    out.push(series(h, 'node_memory_MemAvailable_bytes', {}, 'page_gauge', Math.round((total * (0.2 + r.next() * 0.6)) / 4096) * 4096, total));
    out.push(series(h, 'node_memory_MemFree_bytes', {}, 'page_gauge', Math.round((total * (0.05 + r.next() * 0.2)) / 4096) * 4096, total));
    out.push(series(h, 'node_memory_Cached_bytes', {}, 'page_gauge', Math.round((total * (0.1 + r.next() * 0.3)) / 4096) * 4096, total));
    out.push(series(h, 'node_memory_Buffers_bytes', {}, 'page_gauge', Math.round((total * 0.01 * r.next()) / 4096) * 4096, total));
    for (const n of ['node_load1', 'node_load5', 'node_load15']) out.push(series(h, n, {}, 'load', Math.round(r.next() * 400) / 100, 0));
    for (const device of ['eth0', 'lo']) {
      const scale = device === 'eth0' ? 1e6 * (0.1 + r.next() * 20) : 2e4;
      out.push(series(h, 'node_network_receive_bytes_total', { device }, 'bytes_counter', Math.round(1e10 * r.next()) + 1e6, scale));
      out.push(series(h, 'node_network_transmit_bytes_total', { device }, 'bytes_counter', Math.round(1e10 * r.next()) + 1e6, scale * 0.7));
      out.push(series(h, 'node_network_receive_packets_total', { device }, 'count_counter', Math.round(1e8 * r.next()) + 1e4, scale / 900));
      out.push(series(h, 'node_network_transmit_packets_total', { device }, 'count_counter', Math.round(1e8 * r.next()) + 1e4, scale / 1000));
    }
    for (const mountpoint of ['/', '/var']) {
      const size = (50 + Math.floor(r.next() * 900)) * 2 ** 30;
      out.push(series(h, 'node_filesystem_size_bytes', { device: '/dev/sda1', fstype: 'ext4', mountpoint }, 'const', size, 0));
      out.push(series(h, 'node_filesystem_avail_bytes', { device: '/dev/sda1', fstype: 'ext4', mountpoint }, 'page_gauge', Math.round((size * (0.1 + r.next() * 0.8)) / 4096) * 4096, size / 50));
    }
    out.push(series(h, 'node_disk_read_bytes_total', { device: 'sda' }, 'bytes_counter', Math.round(1e11 * r.next()) + 1e6, 5e5 * r.next() + 1e4));
    out.push(series(h, 'node_disk_written_bytes_total', { device: 'sda' }, 'bytes_counter', Math.round(1e11 * r.next()) + 1e6, 2e6 * r.next() + 1e4));
    out.push(series(h, 'node_disk_io_time_seconds_total', { device: 'sda' }, 'cpu', Math.round(1e5 + r.next() * 1e6) / 100, 0.05 + r.next() * 0.3));
    // A classic histogram: per scrape, `reqs` requests fall into buckets by a fixed CDF per host.
    const reqs = 20 + r.next() * 400;
    const slow = 0.2 + r.next() * 2;
    let c = 0;
    for (const le of LE) {
      const bound = le === '+Inf' ? Infinity : Number(le);
      c = le === '+Inf' ? 1 : Math.max(c, 1 - Math.exp(-bound / (0.05 * slow)));
      out.push(series(h, 'http_request_duration_seconds_bucket', { handler: '/api', le }, 'hist_bucket', 1e6, reqs, c));
    }
    out.push(series(h, 'http_request_duration_seconds_count', { handler: '/api' }, 'hist_bucket', 1e6, reqs, 1));
    out.push(series(h, 'http_request_duration_seconds_sum', { handler: '/api' }, 'hist_sum', 5e4, reqs * 0.05 * slow));
  }
  return out;
}

/**
 * Millisecond offset of a host's scrapes within the 15 s grid, in [1001, 14000]: never 0 mod 15 s,
 * so with queries aligned to whole minutes no sample lies on a window edge.
 */
export function hostOffsetMs(host: number): number {
  return 1001 + ((host * 7919) % 13_000);
}

/**
 * Advances one series by one scrape and returns its value. Bucket counters of a host move
 * together (one uniform draw per host and scrape, `hostDraw`), so every bucket stays <= the next.
 */
export function stepSeries(s: GenSeries, r: Rng, hostDraw: number): number {
  switch (s.kind) {
    case 'const':
      return s.value;
    case 'cpu':
      s.value = Math.round((s.value + 15 * s.rate * (0.5 + r.next())) * 100) / 100;
      return s.value;
    case 'bytes_counter':
      s.value += Math.round(15 * s.rate * (0.3 + r.next() * 1.4));
      return s.value;
    case 'count_counter':
      s.value += Math.round(15 * s.rate * (0.5 + r.next()));
      return s.value;
    case 'page_gauge': {
      const next = s.value + Math.round((r.next() - 0.5) * 256) * 4096;
      s.value = Math.min(Math.max(next, 4096 * 1024), s.rate);
      return s.value;
    }
    case 'load':
      s.value = Math.max(0, Math.round((s.value + (r.next() - 0.5) * 0.3) * 100) / 100);
      return s.value;
    case 'hist_bucket':
      s.value += Math.floor(s.rate * (0.5 + hostDraw) * s.share);
      return s.value;
    case 'hist_sum':
      s.value = Math.round((s.value + s.rate * (0.5 + hostDraw)) * 1000) / 1000;
      return s.value;
  }
}
