/**
 * Parsing the output of iputils `ping -n` (Debian's ping): the summary lines give sent/received
 * and RTT min/avg/max; the reply lines give the TTL (hop limit) of the reply.
 */

export interface PingSummary {
  transmitted: number;
  received: number;
  /** Lost share, 0..1. */
  lossRatio: number;
  /** Seconds; absent when nothing came back. */
  rtt?: { min: number; avg: number; max: number };
  /** TTL / hop limit of the first reply. */
  hopLimit?: number;
  /** The address ping resolved the host to (from the `PING host (addr)` line). */
  address?: string;
}

/** Parses ping's stdout; undefined when the statistics line is missing (ping failed before sending). */
export function parsePing(out: string): PingSummary | undefined {
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  if (!stats) return undefined;
  const transmitted = Number(stats[1]);
  const received = Number(stats[2]);
  const s: PingSummary = { transmitted, received, lossRatio: transmitted > 0 ? (transmitted - received) / transmitted : 1 };
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out);
  if (rtt) s.rtt = { min: Number(rtt[1]) / 1000, avg: Number(rtt[2]) / 1000, max: Number(rtt[3]) / 1000 };
  const ttl = /\b(?:ttl|hlim)=(\d+)/.exec(out);
  if (ttl) s.hopLimit = Number(ttl[1]);
  const addr = /^PING \S+ ?\(([^)]+)\)/m.exec(out);
  if (addr) s.address = addr[1];
  return s;
}
