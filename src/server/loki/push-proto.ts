/**
 * Loki's push protobuf (pkg/push/push.proto), declared by reflection so no build step is needed:
 *
 *   message PushRequest   { repeated StreamAdapter streams = 1; }
 *   message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   message EntryAdapter  { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                           repeated LabelPairAdapter structuredMetadata = 3; }
 *   message LabelPairAdapter { string name = 1; string value = 2; }
 */
import protobuf from 'protobufjs';
import { VigilError } from '../../core/errors.js';
import type { DecodedEntryError, DecodedStream } from './push-decode.js';
import { parseLabelSet, SelectorSyntaxError } from './selector.js';

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
      },
    },
  },
});

/** The protobuf message types (exported so tests and a future Loki sink encode the same schema). */
export const PushRequestType = root.lookupType('logproto.PushRequest');

interface LongLike { low: number; high: number; unsigned: boolean; toNumber(): number }
interface PbTimestamp { seconds?: number | LongLike; nanos?: number }
interface PbEntry { timestamp?: PbTimestamp; line?: string; structuredMetadata?: Array<{ name?: string; value?: string }> }
interface PbStream { labels?: string; entries?: PbEntry[] }
interface PbPush { streams?: PbStream[] }

function toNum(v: number | LongLike | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * Decodes an uncompressed PushRequest. A body that is not valid protobuf throws BAD_REQUEST
 * (the whole request is refused); a stream whose label text does not parse is returned with
 * `labelError` so only that stream is refused. Strings with invalid UTF-8 decode with U+FFFD.
 */
export function decodePushProto(buf: Buffer): DecodedStream[] {
  let msg: PbPush;
  try {
    msg = PushRequestType.decode(buf) as unknown as PbPush;
  } catch (e) {
    throw new VigilError('BAD_REQUEST', `malformed protobuf PushRequest: ${(e as Error).message}`);
  }
  const out: DecodedStream[] = [];
  const streams = msg.streams ?? [];
  for (let i = 0; i < streams.length; i++) {
    const s = streams[i] as PbStream;
    const where = `streams[${i}]`;
    const d: DecodedStream = { where, labels: {}, ts: [], lines: [], fields: undefined, entryErrors: [] };
    const text = s.labels ?? '';
    try {
      d.labels = parseLabelSet(text);
    } catch (e) {
      const detail = e instanceof SelectorSyntaxError ? e.message : String(e);
      d.labelError = `${where}.labels: ${JSON.stringify(text)}: ${detail}`;
    }
    const entries = s.entries ?? [];
    const fields: Array<Record<string, string> | undefined> = [];
    let anyFields = false;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j] as PbEntry;
      const seconds = toNum(e.timestamp?.seconds);
      const nanos = e.timestamp?.nanos ?? 0;
      if (!Number.isSafeInteger(seconds * 1_000_000) || nanos < 0 || nanos > 999_999_999) {
        const err: DecodedEntryError = { index: j, reason: 'invalid_entry', message: `${where}.entries[${j}].timestamp: seconds=${seconds} nanos=${nanos} is not a valid time` };
        d.entryErrors.push(err);
        continue;
      }
      d.ts.push(seconds * 1_000_000 + Math.floor(nanos / 1000));
      d.lines.push(e.line ?? '');
      const sm = e.structuredMetadata;
      if (sm && sm.length > 0) {
        const f: Record<string, string> = {};
        for (const p of sm) f[p.name ?? ''] = p.value ?? '';
        fields.push(f);
        anyFields = true;
      } else fields.push(undefined);
    }
    d.fields = anyFields ? fields : undefined;
    out.push(d);
  }
  return out;
}
