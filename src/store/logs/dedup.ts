/**
 * Duplicate suppression, as Loki's unordered head block does it: an entry with the same timestamp,
 * line and structured metadata as one already in its stream's head is dropped before the WAL
 * write, so a retried push (the client never saw the first answer) or a re-sent batch is stored
 * once. Only entries not newer than the head's newest can be duplicates: for in-order data (the
 * usual case) that is one comparison per entry and nothing is built.
 */
import type { Micros } from '../../core/time.js';
import type { EntryFields, FieldsColumn } from './fields-codec.js';
import type { HeadBlock } from './head.js';
import type { WalStream } from './wal-codec.js';

/** Lazily built ts → entry indexes of an out-of-order head, caught up on each use. */
const byTsOf = new WeakMap<HeadBlock, { n: number; map: Map<number, number[]> }>();

function sameFields(a: EntryFields, b: EntryFields): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  let n = 0;
  for (const k in a) {
    if (b[k] !== a[k] || !Object.prototype.hasOwnProperty.call(b, k)) return false;
    n++;
  }
  for (const _k in b) n--;
  return n === 0;
}

/** Indexes of the head's entries with timestamp `t` (ascending). */
function entriesAt(b: HeadBlock, t: number): number[] {
  const ts = b.ts;
  if (b.inOrder) {
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ts[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < ts.length && ts[i] === t; i++) out.push(i);
    return out;
  }
  let idx = byTsOf.get(b);
  if (!idx) byTsOf.set(b, (idx = { n: 0, map: new Map() }));
  for (; idx.n < ts.length; idx.n++) {
    const v = ts[idx.n] as number;
    const l = idx.map.get(v);
    if (l) l.push(idx.n);
    else idx.map.set(v, [idx.n]);
  }
  return idx.map.get(t) ?? [];
}

/**
 * The line of head entry `j`, found walking back from the newest entry (lines fill pages in
 * order and never straddle them; a line at offset 0 of a later page is that page's first and not
 * empty). Costs the distance from the end: only reached for an entry whose ts and length match.
 */
function lineAt(b: HeadBlock, j: number): string {
  let p = b.pages.length - 1;
  let end = p >= 0 ? (b.used[p] as number) : 0;
  for (let i = b.ts.length - 1; i > j; i--) {
    const start = end - (b.lens[i] as number);
    if (start === 0 && p > 0 && (b.lens[i] as number) > 0) {
      p--;
      end = b.used[p] as number;
    } else end = start;
  }
  const page = b.pages[p];
  return page ? page.toString('utf8', end - (b.lens[j] as number), end) : '';
}

function isDuplicate(b: HeadBlock, t: number, line: string, f: EntryFields): boolean {
  const at = entriesAt(b, t);
  if (at.length === 0) return false;
  const len = Buffer.byteLength(line);
  for (const j of at) {
    if (b.lens[j] !== len) continue;
    if (!sameFields(b.fields?.[j], f)) continue;
    if (lineAt(b, j) === line) return true;
  }
  return false;
}

/**
 * `ws` without the entries already in `head` (same ts, line and fields); `ws` itself when there
 * are none (the usual case, no copy), with the number dropped.
 */
export function dropDuplicates(head: HeadBlock | undefined, ws: WalStream): { ws: WalStream; dropped: number } {
  if (!head || head.ts.length === 0) return { ws, dropped: 0 };
  const max = head.maxTs;
  const n = ws.ts.length;
  let keep: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const t = ws.ts[i] as number;
    if (t > max || !isDuplicate(head, t, ws.lines[i] as string, ws.fields?.[i])) {
      keep?.push(i);
      continue;
    }
    if (!keep) {
      keep = [];
      for (let k = 0; k < i; k++) keep.push(k);
    }
  }
  if (!keep) return { ws, dropped: 0 };
  const ts: Micros[] = keep.map((i) => ws.ts[i] as number);
  const lines = keep.map((i) => ws.lines[i] as string);
  const out: WalStream = { labels: ws.labels, labelsJson: ws.labelsJson, ts, lines };
  if (ws.fields) {
    const fields: FieldsColumn = keep.map((i) => ws.fields?.[i]);
    if (fields.some((f) => f !== undefined)) out.fields = fields;
  }
  return { ws: out, dropped: n - keep.length };
}
