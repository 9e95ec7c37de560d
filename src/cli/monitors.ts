/**
 * `vigil monitors`: the state of every monitor of a Vigil server, as a table (name, type, state,
 * since, reason, latency, a sparkline of recent latencies) or JSON. Exit code 0 when the request
 * worked, 3 when `--fail-on-down` is given and a monitor is DOWN, 1 on errors.
 */
import { errorMessage } from '../core/errors.js';
import { formatDuration } from '../core/time.js';
import { httpRequest } from '../http/client.js';
import { sparkline } from './format.js';

export interface MonitorsOptions {
  server: string;
  token?: string;
  tenant?: string;
  output: 'table' | 'json';
  /** Exit 3 when any monitor is DOWN (for scripts). */
  failOnDown?: boolean;
  /** Colour the state column (default: when stdout is a TTY). */
  color?: boolean;
}

/** A row as `GET /api/vigil/v1/monitors` answers it (the fields this command shows). */
export interface MonitorRow {
  name: string;
  type: string;
  state: string;
  since: string;
  reason: string;
  lastLatencyMs?: number;
  uptime24h?: number | null;
  recentLatenciesMs?: number[];
}

const COLORS: Record<string, string> = { UP: '\x1b[32m', DOWN: '\x1b[31m', PENDING: '\x1b[33m', PAUSED: '\x1b[2m' };

function ago(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const secs = Math.max(0, Math.floor((nowMs - t) / 1000));
  // Minutes are enough past an hour: `3h12m` reads better than `3h12m5s`.
  const us = (secs >= 3600 ? secs - (secs % 60) : secs) * 1_000_000;
  return `${formatDuration(us)} ago`;
}

function latency(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(ms < 10 ? 2 : 0)}ms`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Table lines for `rows`; state coloured when `color`. Column widths ignore the escape codes. */
export function renderMonitors(rows: MonitorRow[], color: boolean, nowMs: number): string[] {
  const header = ['NAME', 'TYPE', 'STATE', 'SINCE', 'LATENCY', 'UPTIME 24H', 'RECENT', 'REASON'];
  const cells = rows.map((r) => [
    r.name,
    r.type,
    r.state,
    ago(r.since, nowMs),
    latency(r.lastLatencyMs),
    r.uptime24h === null || r.uptime24h === undefined ? '-' : `${(r.uptime24h * 100).toFixed(2)}%`,
    sparkline(r.recentLatenciesMs ?? [], 20),
    clip(r.reason, 80),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => [...(c[i] ?? '')].length)));
  const line = (c: string[], paint: boolean): string =>
    c
      .map((v, i) => {
        const padded = v + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...v].length));
        if (i === 7) return v; // last column: no trailing padding
        return paint && i === 2 && COLORS[v] ? `${COLORS[v]}${padded}\x1b[0m` : padded;
      })
      .join('  ');
  return [line(header, false), ...cells.map((c) => line(c, color))];
}

export async function monitorsCommand(o: MonitorsOptions, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const base = o.server.replace(/\/+$/, '');
  let rows: MonitorRow[];
  try {
    const res = await httpRequest({ url: `${base}/api/vigil/v1/monitors`, token: o.token, tenant: o.tenant, timeoutMs: 30_000 });
    if (res.status !== 200) {
      err(`vigil monitors: ${res.status}: ${res.text().trim()}\n`);
      return 1;
    }
    rows = res.json<{ data: MonitorRow[] }>().data;
    if (!Array.isArray(rows)) throw new Error('unexpected answer: no data array');
  } catch (e) {
    err(`vigil monitors: ${errorMessage(e)}\n`);
    return 1;
  }
  if (o.output === 'json') out(`${JSON.stringify(rows)}\n`);
  else if (rows.length === 0) out('no monitors configured (add a `monitors:` section to vigil.yaml)\n');
  else out(`${renderMonitors(rows, o.color ?? Boolean(process.stdout.isTTY), Date.now()).join('\n')}\n`);
  return o.failOnDown && rows.some((r) => r.state === 'DOWN') ? 3 : 0;
}
