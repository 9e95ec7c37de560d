/**
 * `vigil query '<logql>'`: runs a query against a Vigil server's Loki API and prints the result.
 * Parse errors are shown locally with a caret under the problem before anything is sent.
 */
import WebSocket from 'ws';
import { errorMessage } from '../core/errors.js';
import { microsToNanosString, nowMicros, parseDuration, parseRfc3339, type Micros } from '../core/time.js';
import { httpRequest } from '../http/client.js';
import { formatQueryError, parseLogQL } from '../query/logql/index.js';
import { renderMetric, renderStreams, type OutputFormat, type QueryData } from './format.js';

export interface QueryOptions {
  since: string;
  from?: string;
  to?: string;
  limit: string;
  step?: string;
  forward?: boolean;
  output: OutputFormat;
  instant?: boolean;
  tail?: boolean;
  server: string;
  token?: string;
  tenant?: string;
}

/** RFC 3339, unix seconds (with fraction), or a duration meaning that long ago. */
export function parseTimeArg(text: string, now: Micros): Micros | undefined {
  const rfc = parseRfc3339(text);
  if (rfc !== undefined) return rfc;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1e6);
  const ago = parseDuration(text);
  return ago === undefined ? undefined : now - ago;
}

export async function queryCommand(logql: string, o: QueryOptions, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  try {
    parseLogQL(logql);
  } catch (e) {
    err(`${formatQueryError(logql, e)}\n`);
    return 2;
  }
  const now = nowMicros();
  const since = parseDuration(o.since);
  if (since === undefined) return fail(err, `--since ${JSON.stringify(o.since)}: expected a duration like 15m, 1h, 7d`);
  const end = o.to ? parseTimeArg(o.to, now) : now;
  if (end === undefined) return fail(err, `--to ${JSON.stringify(o.to)}: expected RFC 3339, unix seconds or a duration ago`);
  const start = o.from ? parseTimeArg(o.from, now) : end - since;
  if (start === undefined) return fail(err, `--from ${JSON.stringify(o.from)}: expected RFC 3339, unix seconds or a duration ago`);
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit <= 0) return fail(err, `--limit ${o.limit}: expected a positive integer`);
  const base = o.server.replace(/\/+$/, '');

  if (o.tail) return tail(base, logql, o, start, limit, out, err);

  const params = new URLSearchParams({ query: logql, limit: String(limit), direction: o.forward ? 'forward' : 'backward' });
  let path: string;
  if (o.instant) {
    path = '/loki/api/v1/query';
    params.set('time', microsToNanosString(end));
  } else {
    path = '/loki/api/v1/query_range';
    params.set('start', microsToNanosString(start));
    params.set('end', microsToNanosString(end));
    if (o.step) {
      const step = parseDuration(o.step);
      if (step === undefined) return fail(err, `--step ${o.step}: expected a duration like 1m`);
      params.set('step', `${step / 1e6}`);
    }
  }
  try {
    const res = await httpRequest({ url: `${base}${path}?${params}`, token: o.token, tenant: o.tenant, timeoutMs: 120_000 });
    if (res.status !== 200) return fail(err, `${res.status}: ${res.text().trim()}`);
    const body = res.json<{ status: string; data: QueryData }>();
    const color = Boolean(process.stdout.isTTY) && o.output === 'default';
    const lines =
      body.data.resultType === 'streams'
        ? renderStreams(body.data.result as never, o.output, Boolean(o.forward), color)
        : renderMetric(body.data, o.output);
    if (lines.length > 0) out(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    return fail(err, errorMessage(e));
  }
}

function fail(err: (s: string) => void, msg: string): number {
  err(`vigil query: ${msg}\n`);
  return 1;
}

function tail(base: string, logql: string, o: QueryOptions, start: Micros, limit: number, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const params = new URLSearchParams({ query: logql, limit: String(limit), start: microsToNanosString(start) });
  const url = `${base.replace(/^http/, 'ws')}/loki/api/v1/tail?${params}`;
  const headers: Record<string, string> = {};
  if (o.token) headers['authorization'] = `Bearer ${o.token}`;
  if (o.tenant) headers['x-scope-orgid'] = o.tenant;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const color = Boolean(process.stdout.isTTY) && o.output === 'default';
    ws.on('message', (data) => {
      try {
        const frame = JSON.parse(String(data)) as { streams?: unknown[] };
        const lines = renderStreams((frame.streams ?? []) as never, o.output, true, color);
        if (lines.length > 0) out(`${lines.join('\n')}\n`);
      } catch (e) {
        err(`vigil query: bad frame from server: ${errorMessage(e)}\n`);
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(fail(err, `${res.statusCode}: ${text.trim()}`)));
    });
    ws.on('error', (e) => resolve(fail(err, errorMessage(e))));
    let interrupted = false;
    ws.on('close', (code, reason) => {
      // 1000 = we closed it (Ctrl-C); anything else is the server ending the tail, with its reason.
      if (interrupted || code === 1000) resolve(0);
      else resolve(fail(err, `tail ended by the server (code ${code})${reason.length > 0 ? `: ${reason.toString()}` : ''}`));
    });
    process.once('SIGINT', () => {
      interrupted = true;
      ws.close(1000);
    });
  });
}
