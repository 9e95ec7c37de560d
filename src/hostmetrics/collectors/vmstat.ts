/**
 * `vmstat`, `netstat` and `entropy`: kernel counters exported untyped, filtered by node_exporter's
 * default field regexes (`--collector.vmstat.fields`, `--collector.netstat.fields`).
 */
import { family, fields, lines, num, type Collector, type MetricFamily } from '../types.js';

export const VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;
export const NETSTAT_FIELDS =
  /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

/**
 * Remembers which keys a field regex accepts: the kernel prints the same few hundred keys every
 * time, and NETSTAT_FIELDS's leading `.*` makes each test cost microseconds.
 */
function memoTest(re: RegExp): (key: string) => boolean {
  const memo = new Map<string, boolean>();
  return (key) => {
    let ok = memo.get(key);
    if (ok === undefined) {
      ok = re.test(key);
      if (memo.size < 10_000) memo.set(key, ok);
    }
    return ok;
  };
}
const vmstatWanted = memoTest(VMSTAT_FIELDS);
const netstatWanted = memoTest(NETSTAT_FIELDS);

export const vmstatCollector: Collector = {
  name: 'vmstat',
  async collect(ctx) {
    const out: MetricFamily[] = [];
    const ls = lines(await ctx.proc('vmstat'));
    for (let i = 0; i < ls.length; i++) {
      const f = fields(ls[i] as string);
      const key = f[0];
      if (key === undefined || !vmstatWanted(key)) continue;
      out.push(family(`node_vmstat_${key}`, 'untyped', `/proc/vmstat information field ${key}.`, [{ labels: {}, value: num(f[1], '/proc/vmstat', i + 1, key) }]));
    }
    return out;
  },
};

/** `Proto: names...` / `Proto: values...` line pairs of /proc/net/netstat and /proc/net/snmp. */
function parsePairs(text: string, file: string, into: Map<string, { value: string; where: string }>): void {
  const ls = lines(text);
  for (let i = 0; i + 1 < ls.length; i += 2) {
    const names = fields(ls[i] as string);
    const values = fields(ls[i + 1] as string);
    const proto = (names[0] ?? '').replace(/:$/, '');
    if (names[0] !== values[0]) throw new Error(`${file}:${i + 2}: values line for ${JSON.stringify(values[0])} follows names of ${JSON.stringify(names[0])}`);
    if (names.length !== values.length) throw new Error(`${file}:${i + 2}: ${proto} has ${names.length - 1} names but ${values.length - 1} values`);
    for (let k = 1; k < names.length; k++) into.set(`${proto}_${names[k]}`, { value: values[k] as string, where: `${file}:${i + 2}` });
  }
}

export const netstatCollector: Collector = {
  name: 'netstat',
  async collect(ctx) {
    const stats = new Map<string, { value: string; where: string }>();
    parsePairs(await ctx.proc('net/netstat'), '/proc/net/netstat', stats);
    parsePairs(await ctx.proc('net/snmp'), '/proc/net/snmp', stats);
    let snmp6: string | undefined;
    try {
      snmp6 = await ctx.proc('net/snmp6');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // IPv6 disabled
    }
    if (snmp6 !== undefined) {
      const ls = lines(snmp6);
      for (let i = 0; i < ls.length; i++) {
        const f = fields(ls[i] as string);
        const key = f[0];
        if (key === undefined || f.length < 2) continue;
        // `Ip6InOctets` → protocol `Ip6`, name `InOctets`
        const six = key.indexOf('6');
        if (six < 0) continue;
        stats.set(`${key.slice(0, six + 1)}_${key.slice(six + 1)}`, { value: f[1] as string, where: `/proc/net/snmp6:${i + 1}` });
      }
    }
    const out: MetricFamily[] = [];
    for (const [key, { value, where }] of stats) {
      if (!netstatWanted(key)) continue;
      const v = Number(value);
      if (Number.isNaN(v)) throw new Error(`${where}: ${key} is not a number: ${JSON.stringify(value)}`);
      out.push(family(`node_netstat_${key}`, 'untyped', `Statistic ${key.replace('_', '')}.`, [{ labels: {}, value: v }]));
    }
    return out;
  },
};

export const entropyCollector: Collector = {
  name: 'entropy',
  async collect(ctx) {
    const avail = num((await ctx.proc('sys/kernel/random/entropy_avail')).trim(), '/proc/sys/kernel/random/entropy_avail', 1, 'entropy_avail');
    const pool = num((await ctx.proc('sys/kernel/random/poolsize')).trim(), '/proc/sys/kernel/random/poolsize', 1, 'poolsize');
    return [
      family('node_entropy_available_bits', 'gauge', 'Bits of available entropy.', [{ labels: {}, value: avail }]),
      family('node_entropy_pool_size_bits', 'gauge', 'Bits of entropy pool.', [{ labels: {}, value: pool }]),
    ];
  },
};
