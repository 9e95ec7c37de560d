/**
 * What the `docker` and `cri` parsers share: kubelet path metadata, joining partial lines, and
 * assembling output streams split by the `stream` label. Both parsers keep one
 * ContainerAssembler per transform instance, so a line split across batches is still joined.
 */
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { streamKey, type Labels } from '../../../core/labels.js';
import type { Micros } from '../../../core/time.js';
import { ERROR_DETAILS_FIELD, ERROR_FIELD } from '../output.js';

export interface KubeMeta {
  namespace: string;
  pod: string;
  container: string;
  podUid?: string;
}

const PODS_PATH = /\/var\/log\/pods\/([^_/]+)_([^_/]+)_([^/]+)\/([^/]+)\/[^/]+\.log$/;
const CONTAINERS_PATH = /\/var\/log\/containers\/([^_/]+)_([^_/]+)_(.+)-[0-9a-f]{64}\.log$/;

/** Namespace, pod and container from a kubelet log path; undefined for any other path. */
export function kubeMetaFromPath(path: string | undefined): KubeMeta | undefined {
  if (!path) return undefined;
  let m = PODS_PATH.exec(path);
  if (m) return { namespace: m[1] as string, pod: m[2] as string, podUid: m[3] as string, container: m[4] as string };
  m = CONTAINERS_PATH.exec(path);
  if (m) return { pod: m[1] as string, namespace: m[2] as string, container: m[3] as string };
  return undefined;
}

/** One decoded container log record (a whole line or a piece of one). */
export interface Piece {
  ts: Micros;
  stream: string;
  text: string;
  /** False when the runtime split the line and the next record of the same stream continues it. */
  complete: boolean;
}

interface Pending {
  ts: Micros;
  stream: string;
  parts: string[];
  bytes: number;
  fields: Record<string, string> | undefined;
}

/**
 * Collects decoded pieces of each input stream into output streams (one per `stream` value),
 * joining partial pieces. A partial line still open at the end of a batch is carried to the next
 * batch of the same input stream; one longer than `maxPartialBytes` is flushed as it is.
 */
export class ContainerAssembler {
  private readonly pending = new Map<string, Pending>();
  private out = new Map<string, StreamBatch>();
  private labels: Labels = {};
  private meta: KubeMeta | undefined;
  private key = '';

  constructor(private readonly errorName: string, private readonly maxPartialBytes: number) {}

  begin(s: StreamBatch): void {
    this.meta = kubeMetaFromPath(s.labels['filename']);
    this.labels = this.meta ? { ...s.labels, namespace: this.meta.namespace, pod: this.meta.pod, container: this.meta.container } : s.labels;
    this.key = streamKey(s.labels);
  }

  /** Adds a decoded piece; `fields` are the input entry's fields (kept on the joined entry). */
  piece(p: Piece, fields: Record<string, string> | undefined): void {
    const pkey = `${this.key}\u0000${p.stream}`;
    const open = this.pending.get(pkey);
    if (!open && p.complete) {
      this.push(p.stream, p.ts, p.text, fields);
      return;
    }
    const pend: Pending = open ?? { ts: p.ts, stream: p.stream, parts: [], bytes: 0, fields };
    pend.parts.push(p.text);
    pend.bytes += p.text.length;
    if (p.complete || pend.bytes >= this.maxPartialBytes) {
      this.pending.delete(pkey);
      this.push(pend.stream, pend.ts, pend.parts.join(''), pend.fields);
    } else if (!open) this.pending.set(pkey, pend);
  }

  /** Keeps an undecodable entry as it is, marked with the parser's error. */
  malformed(ts: Micros, line: string, fields: Record<string, string> | undefined, details: string): void {
    const f = fields ? { ...fields } : {};
    if (f[ERROR_FIELD] === undefined) {
      f[ERROR_FIELD] = this.errorName;
      f[ERROR_DETAILS_FIELD] = details;
    }
    this.push('', ts, line, f);
  }

  private push(stream: string, ts: Micros, line: string, fields: Record<string, string> | undefined): void {
    const okey = `${this.key}\u0000${stream}`;
    let o = this.out.get(okey);
    if (!o) {
      o = { labels: stream === '' ? this.labels : { ...this.labels, stream }, ts: [], lines: [], fields: [] };
      this.out.set(okey, o);
    }
    let f = fields;
    if (this.meta?.podUid) f = { ...(f ?? {}), pod_uid: this.meta.podUid };
    o.ts.push(ts);
    o.lines.push(line);
    (o.fields as Array<Record<string, string> | undefined>).push(f);
  }

  /** The assembled batch; resets for the next one (open partial lines stay pending). */
  take(): LogBatch {
    const streams = [...this.out.values()];
    for (const s of streams) if (s.fields?.every((f) => f === undefined)) delete s.fields;
    this.out = new Map();
    return { streams };
  }
}
