/**
 * Maps a `_bulk` answer to a SinkResult. Elasticsearch answers 200 even when items failed
 * (`errors: true`, each item `{<action>: {status, error: {type, reason}}}` in request order), so
 * each item is judged alone: 2xx stored; 409 on a `create` whose `_id` we chose means a previous
 * attempt already stored it; 408/429/5xx (e.g. es_rejected_execution_exception) are retried;
 * other 4xx (mapper_parsing_exception, ...) are rejected with ES's type and reason.
 */
import type { SinkResult } from '../../components/contract.js';
import type { LogBatch } from '../../core/events.js';
import type { HttpResponse } from '../../http/client.js';
import { resultOf } from '../http/transport.js';
import { subBatch, type EncodedBulk, type Position } from './bulk-request.js';

/** How many entries ended how, for the sink's metrics. */
export interface BulkOutcome {
  result: SinkResult;
  stored: number;
  alreadyStored: number;
  retried: number;
  rejected: number;
}

interface ItemError {
  type?: unknown;
  reason?: unknown;
  caused_by?: { type?: unknown; reason?: unknown };
}

interface Item {
  status?: unknown;
  error?: ItemError | string;
}

const MAX_REASON = 500;

function reasonOf(status: number, e: Item['error']): string {
  if (typeof e === 'string') return `${status} ${e}`.slice(0, MAX_REASON);
  const type = typeof e?.type === 'string' ? e.type : 'error';
  let reason = typeof e?.reason === 'string' ? e.reason : '';
  const cause = e?.caused_by;
  if (cause && typeof cause.type === 'string') reason += ` (caused by ${cause.type}${typeof cause.reason === 'string' ? `: ${cause.reason}` : ''})`;
  const text = `${status} ${type}${reason ? `: ${reason}` : ''}`;
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/** Entries we never sent count as rejected alongside ES's refusals. */
function withUnsendable(enc: EncodedBulk, groups: Map<string, Position[]>): void {
  for (const u of enc.unsendable) {
    let g = groups.get(u.reason);
    if (!g) groups.set(u.reason, (g = []));
    g.push(u.position);
  }
}

function assemble(batch: LogBatch, enc: EncodedBulk, what: string, stored: number, alreadyStored: number, retry: Position[], groups: Map<string, Position[]>, retryAfterMs?: number, wholeError?: string): BulkOutcome {
  withUnsendable(enc, groups);
  let rejected = 0;
  for (const g of groups.values()) rejected += g.length;
  const counts = { stored, alreadyStored, retried: retry.length, rejected };
  if (retry.length === 0 && rejected === 0) return { result: { status: 'delivered' }, ...counts };
  const error = wholeError ?? `${what}: ${stored + alreadyStored} stored, ${retry.length} to retry, ${rejected} rejected`;
  if (stored + alreadyStored === 0 && rejected === 0) {
    return { result: retryAfterMs === undefined ? { status: 'errored', error } : { status: 'errored', error, retryAfterMs }, ...counts };
  }
  const rej = [...groups.entries()].map(([reason, ps]) => ({ batch: subBatch(batch, ps), reason: `${what}: ${reason}` }));
  const only = rej[0];
  if (stored + alreadyStored === 0 && retry.length === 0 && rej.length === 1 && only) return { result: { status: 'rejected', reason: only.reason }, ...counts };
  const result: SinkResult = { status: 'partial', error, rejected: rej };
  if (retry.length > 0) result.retry = subBatch(batch, retry);
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return { result, ...counts };
}

/**
 * Judges the answer `res` to the request `enc` built from `batch`. `action` is the bulk action we
 * sent. Never throws: an unreadable 2xx body retries the whole request (ids make that safe when
 * deterministic; otherwise it may duplicate, which at-least-once allows).
 */
export function judgeBulk(batch: LogBatch, enc: EncodedBulk, res: HttpResponse, action: 'index' | 'create', what: string): BulkOutcome {
  const sent = enc.positions;
  if (res.status < 200 || res.status >= 300) {
    const r = resultOf(res, what);
    if (r.status === 'errored') return assemble(batch, enc, what, 0, 0, [...sent], new Map(), r.retryAfterMs, r.error);
    const groups = new Map<string, Position[]>();
    if (sent.length > 0) groups.set(r.status === 'rejected' ? r.reason.slice(what.length + 1) : `answered ${res.status}`, [...sent]);
    return assemble(batch, enc, what, 0, 0, [], groups);
  }
  let parsed: { errors?: unknown; items?: unknown };
  try {
    parsed = res.json<{ errors?: unknown; items?: unknown }>();
  } catch (e) {
    return assemble(batch, enc, what, 0, 0, [...sent], new Map(), undefined, `${what}: answered ${res.status} with a body that is not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null) parsed = {};
  const items = parsed.items;
  if (parsed.errors === false && (!Array.isArray(items) || items.length === sent.length)) return assemble(batch, enc, what, sent.length, 0, [], new Map());
  if (!Array.isArray(items) || items.length !== sent.length) {
    const n = Array.isArray(items) ? items.length : 'no';
    return assemble(batch, enc, what, 0, 0, [...sent], new Map(), undefined, `${what}: the bulk answer has ${n} items for ${sent.length} actions; retrying the request`);
  }
  let stored = 0;
  let already = 0;
  const retry: Position[] = [];
  const groups = new Map<string, Position[]>();
  for (let i = 0; i < items.length; i++) {
    const pos = sent[i] as Position;
    const wrapper = items[i] as Record<string, Item> | null;
    const item = wrapper && typeof wrapper === 'object' ? (wrapper[action] ?? Object.values(wrapper)[0]) : undefined;
    const status = typeof item?.status === 'number' ? item.status : 0;
    if (status >= 200 && status < 300) stored++;
    else if (status === 409 && action === 'create' && enc.ownId[i] === true) already++;
    else if (status === 0 || status === 408 || status === 429 || status >= 500) retry.push(pos);
    else {
      const reason = reasonOf(status, item?.error);
      let g = groups.get(reason);
      if (!g) groups.set(reason, (g = []));
      g.push(pos);
    }
  }
  return assemble(batch, enc, what, stored, already, retry, groups);
}
