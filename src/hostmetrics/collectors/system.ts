/** `time`, `uname` and `os`: who and when this host is. */
import { machine as osMachine } from 'node:os';
import { family, lines, type Collector, type MetricFamily } from '../types.js';

/** Go's `time.Now().Zone()` name: the short zone abbreviation (`UTC`, `CET`; `GMT+1` where ICU has none). */
let zoneFormat: Intl.DateTimeFormat | undefined;
function zoneName(d: Date): string {
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const part = zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

export const timeCollector: Collector = {
  name: 'time',
  async collect(ctx) {
    const now = new Date(ctx.nowMs);
    const out: MetricFamily[] = [
      family('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', [{ labels: {}, value: ctx.nowMs / 1000 }]),
      family('node_time_zone_offset_seconds', 'gauge', 'System time zone offset in seconds.', [
        { labels: { time_zone: zoneName(now) }, value: -now.getTimezoneOffset() * 60 },
      ]),
    ];
    let devices: string[] = [];
    try {
      devices = (await ctx.sysDir('devices/system/clocksource')).filter((d) => /^clocksource\d+$/.test(d)).sort();
    } catch {
      return out; // no sysfs clocksource (containers): node_exporter also reports only the time
    }
    const avail = family('node_time_clocksource_available_info', 'gauge', "Available clocksources read from '/sys/devices/system/clocksource'.");
    const current = family('node_time_clocksource_current_info', 'gauge', "Current clocksource read from '/sys/devices/system/clocksource'.");
    for (const d of devices) {
      const device = d.slice('clocksource'.length);
      for (const c of (await ctx.sys(`devices/system/clocksource/${d}/available_clocksource`)).trim().split(/\s+/)) {
        if (c) avail.samples.push({ labels: { clocksource: c, device }, value: 1 });
      }
      const cur = (await ctx.sys(`devices/system/clocksource/${d}/current_clocksource`)).trim();
      if (cur) current.samples.push({ labels: { clocksource: cur, device }, value: 1 });
    }
    out.push(avail, current);
    return out;
  },
};

export const unameCollector: Collector = {
  name: 'uname',
  async collect(ctx) {
    // The uname(2) fields as the kernel publishes them under /proc/sys/kernel, so a root_path
    // fixture tree describes a whole host.
    const k = async (f: string) => (await ctx.proc(`sys/kernel/${f}`)).replace(/\n$/, '');
    let machine: string;
    try {
      machine = await k('arch'); // Linux >= 6.1
    } catch {
      machine = osMachine();
    }
    const labels = {
      sysname: await k('ostype'),
      release: await k('osrelease'),
      version: await k('version'),
      machine,
      nodename: await k('hostname'),
      domainname: await k('domainname'),
    };
    return [family('node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', [{ labels, value: 1 }])];
  },
};

/** Parses os-release(5): KEY=value with optional shell quoting. */
export function parseOsRelease(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1);
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\`$])/g, '$1');
    }
    m.set(line.slice(0, eq), v);
  }
  return m;
}

const OS_LABELS = ['build_id', 'id', 'id_like', 'image_id', 'image_version', 'name', 'pretty_name', 'variant', 'variant_id', 'version', 'version_codename', 'version_id'];

export const osCollector: Collector = {
  name: 'os',
  async collect(ctx) {
    let text: string;
    try {
      text = await ctx.rootFile('/etc/os-release');
    } catch {
      text = await ctx.rootFile('/usr/lib/os-release');
    }
    const m = parseOsRelease(text);
    const labels: Record<string, string> = {};
    for (const l of OS_LABELS) {
      const v = m.get(l.toUpperCase());
      if (v) labels[l] = v;
    }
    const ver = /^[0-9]+\.?[0-9]*/.exec(m.get('VERSION_ID') ?? '');
    const vlabels: Record<string, string> = {};
    for (const l of ['id', 'id_like', 'name']) if (labels[l]) vlabels[l] = labels[l] as string;
    return [
      family('node_os_info', 'gauge', "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.", [{ labels, value: 1 }]),
      family('node_os_version', 'gauge', 'Metric containing the major.minor part of the OS version.', [{ labels: vlabels, value: ver ? Number(ver[0]) : 0 }]),
    ];
  },
};
