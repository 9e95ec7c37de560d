/**
 * Scan worker thread: runs scanChunk for the pool. One task at a time; errors go back as data
 * (name, message, code) so the caller can tell a corrupt chunk from a vanished file.
 */
import { parentPort } from 'node:worker_threads';
import { compileLineFilters, type CompiledFilters } from './line-filter.js';
import { scanChunk, type ChunkRef, type ScanSpec } from './scan.js';

export interface ScanTask {
  id: number;
  ref: ChunkRef;
  spec: ScanSpec;
}

export type ScanReply =
  | { id: number; ok: true; ts: Float64Array; lines: string[]; fields?: Array<Record<string, string> | undefined> | undefined }
  | { id: number; ok: false; name: string; message: string; code?: string | undefined };

let lastFilters = '';
let compiled: CompiledFilters = compileLineFilters(undefined);

parentPort?.on('message', (task: ScanTask) => {
  let reply: ScanReply;
  try {
    const key = JSON.stringify(task.spec.filters ?? []);
    if (key !== lastFilters) {
      compiled = compileLineFilters(task.spec.filters);
      lastFilters = key;
    }
    const r = scanChunk(task.ref, task.spec, compiled);
    reply = { id: task.id, ok: true, ts: Float64Array.from(r.ts), lines: r.lines, fields: r.fields };
    parentPort?.postMessage(reply, [reply.ts.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply = { id: task.id, ok: false, name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code };
  }
  parentPort?.postMessage(reply);
});
