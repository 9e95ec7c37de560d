/**
 * Reads one chunk from its segment file and returns the entries in a time range that pass the
 * line filters, ascending. Pure and synchronous, so the same code runs inline and in the scan
 * worker threads. Rare needles are found with Buffer.indexOf over each decompressed block, so
 * lines that cannot match are never turned into strings.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Micros } from '../../core/time.js';
import type { LineFilter } from '../interfaces.js';
import { decodeFieldsBlock, decodeLineBlock, decodeTsPart, type DecodedLines, type LineBlockRef } from './chunk-codec.js';
import { anyFields, type FieldsColumn } from './fields-codec.js';
import { compileLineFilters, type CompiledFilters } from './line-filter.js';

/** Where a chunk is and how to verify it (structured-clone friendly, for workers). */
export interface ChunkRef {
  path: string;
  offset: number;
  length: number;
  tsLength: number;
  entries: number;
  crcTs: number;
  crcLines: number;
}

export interface ScanSpec {
  start: Micros;
  end: Micros;
  filters?: LineFilter[] | undefined;
  /** Return empty strings instead of lines (timestamp-only scans; only without filters). */
  skipLines: boolean;
}

export interface ScanResult {
  ts: number[];
  lines: string[];
  /** Structured metadata aligned with ts; absent when no entry of the result has any. */
  fields?: FieldsColumn;
}

function readFd(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

function lowerBound(ts: Float64Array, v: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries [lo, hi) of one decoded line block (block entries start at `first`) that pass the filters. */
function filterBlock(
  lines: DecodedLines,
  first: number,
  allTs: Float64Array,
  lo: number,
  hi: number,
  compiled: CompiledFilters,
  out: ScanResult,
  allFields: FieldsColumn | undefined,
): void {
  const { body, starts } = lines;
  const outFields = out.fields;
  const lineAt = (i: number) => body.toString('utf8', starts[i - first] as number, starts[i - first + 1] as number);
  const needle = compiled.required[0];
  if (needle) {
    // Jump from match to match; a hit spanning two lines is no hit, search on from the next byte.
    const to = starts[hi - first] as number;
    let line = lo;
    let p = body.indexOf(needle, starts[lo - first] as number);
    while (p >= 0 && p + needle.length <= to) {
      while ((starts[line - first + 1] as number) <= p) line++;
      const end = starts[line - first + 1] as number;
      if (p + needle.length <= end) {
        const s = lineAt(line);
        if (compiled.test(s)) {
          out.ts.push(allTs[line] as number);
          out.lines.push(s);
          if (outFields) outFields.push((allFields as FieldsColumn)[line]);
        }
        p = body.indexOf(needle, end);
      } else p = body.indexOf(needle, p + 1);
    }
    return;
  }
  for (let i = lo; i < hi; i++) {
    const s = lineAt(i);
    if (compiled.empty || compiled.test(s)) {
      out.ts.push(allTs[i] as number);
      out.lines.push(s);
      if (outFields) outFields.push((allFields as FieldsColumn)[i]);
    }
  }
}

/**
 * Scans one chunk block by block, yielding each block's matching entries (ascending) with blocks
 * in `direction` order, reading and inflating a block only when the consumer asks for it. Throws
 * ChunkCorruptError on checksum/format problems and the fs error when the file is gone (retention
 * raced the query); the caller decides (count and skip).
 */
export function* scanChunkBlocks(
  ref: ChunkRef,
  spec: ScanSpec,
  compiled: CompiledFilters = compileLineFilters(spec.filters),
  direction: 'forward' | 'backward' = 'forward',
): Generator<ScanResult> {
  const fd = openSync(ref.path, 'r');
  try {
    const { ts: allTs, blocks, fieldsBlock } = decodeTsPart(readFd(fd, ref.offset, ref.tsLength), ref.crcTs);
    const lo = lowerBound(allTs, spec.start);
    const hi = lowerBound(allTs, spec.end);
    if (hi <= lo) return;
    if (spec.skipLines && compiled.empty) {
      const ts = Array.from(allTs.subarray(lo, hi));
      yield { ts, lines: new Array<string>(ts.length).fill('') };
      return;
    }
    // Read only when lines are: timestamp-only scans returned above without touching it.
    let allFields: FieldsColumn | undefined;
    if (fieldsBlock) {
      const raw = readFd(fd, ref.offset + ref.tsLength + fieldsBlock.offset, fieldsBlock.length);
      allFields = decodeFieldsBlock(raw, fieldsBlock.crc, allTs.length);
      if (!anyFields(allFields, lo, hi)) allFields = undefined;
    }
    const order = blocks.map((_, i) => i);
    if (direction === 'backward') order.reverse();
    for (const b of order) {
      const blk = blocks[b] as LineBlockRef;
      const next = b + 1 < blocks.length ? (blocks[b + 1] as LineBlockRef).first : allTs.length;
      const from = Math.max(lo, blk.first);
      const to = Math.min(hi, next);
      if (from >= to) continue;
      const lines = decodeLineBlock(readFd(fd, ref.offset + ref.tsLength + blk.offset, blk.length), blk.crc, next - blk.first);
      const out: ScanResult = allFields ? { ts: [], lines: [], fields: [] } : { ts: [], lines: [] };
      filterBlock(lines, blk.first, allTs, from, to, compiled, out, allFields);
      if (out.fields && !anyFields(out.fields)) delete out.fields;
      if (out.ts.length > 0) yield out;
    }
  } finally {
    closeSync(fd);
  }
}

/** Scans a whole chunk: every matching entry in the range, ascending. Throws as scanChunkBlocks. */
export function scanChunk(ref: ChunkRef, spec: ScanSpec, compiled: CompiledFilters = compileLineFilters(spec.filters)): ScanResult {
  const out: ScanResult = { ts: [], lines: [] };
  for (const part of scanChunkBlocks(ref, spec, compiled)) {
    if (part.fields && !out.fields) out.fields = new Array<Record<string, string> | undefined>(out.ts.length).fill(undefined);
    for (let i = 0; i < part.ts.length; i++) {
      out.ts.push(part.ts[i] as number);
      out.lines.push(part.lines[i] as string);
      if (out.fields) out.fields.push(part.fields?.[i]);
    }
  }
  return out;
}
