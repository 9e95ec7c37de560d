/**
 * Name resolution with blackbox_exporter's `preferred_ip_protocol` / `ip_protocol_fallback`
 * semantics, timed for `probe_dns_lookup_time_seconds`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';

export const IpProtocolOptions = {
  ip_protocol: Type.Optional(Type.Union([Type.Literal('ip4'), Type.Literal('ip6')], {
    default: 'ip4',
    description: "Address family tried first when the host name has both A and AAAA records: 'ip4' or 'ip6'.",
  })),
  ip_protocol_fallback: Type.Optional(Type.Boolean({
    default: true,
    description: 'When false, the family of ip_protocol is forced: a host without such an address fails the probe.',
  })),
};

export interface Resolved {
  address: string;
  family: 4 | 6;
  lookupSeconds: number;
}

/**
 * Resolves `host` (an IP literal is returned as is). Rejects with an Error whose message is the
 * probe's reason (`cannot resolve x (ENOTFOUND)`, `no ip6 address for x`).
 */
export async function resolveHost(host: string, preferred: 'ip4' | 'ip6' = 'ip4', fallback = true): Promise<Resolved> {
  const started = performance.now();
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare);
  if (literal === 4 || literal === 6) {
    if (!fallback && `ip${literal}` !== preferred) throw new Error(`${bare} is not an ${preferred} address`);
    return { address: bare, family: literal, lookupSeconds: (performance.now() - started) / 1000 };
  }
  let all: Array<{ address: string; family: number }>;
  try {
    all = await lookup(bare, { all: true, verbatim: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot resolve ${bare} (${code})`);
  }
  const want = preferred === 'ip6' ? 6 : 4;
  const pick = all.find((a) => a.family === want) ?? (fallback ? all[0] : undefined);
  if (!pick) throw new Error(`no ${preferred} address for ${bare}`);
  return { address: pick.address, family: pick.family === 6 ? 6 : 4, lookupSeconds: (performance.now() - started) / 1000 };
}

/**
 * Splits `host:port` / `[v6]:port`; rejects a missing or invalid port with a config-style message.
 */
export function splitHostPort(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(target);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !(port > 0 && port < 65536)) throw new Error(`target "${target}" is not host:port`);
  return { host, port };
}
