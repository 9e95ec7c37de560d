/**
 * The agent's stable id: a random UUID created on first start and kept in a file, so the server
 * recognises the same host across restarts (and a re-imaged host as a new agent).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Reads `<dir>/agent-id`, creating it (write temp + rename) when absent or unreadable garbage.
 * Throws only when the directory cannot be written.
 */
export function loadOrCreateAgentId(dir: string): string {
  const file = join(dir, 'agent-id');
  try {
    const v = readFileSync(file, 'utf8').trim();
    if (ID_RE.test(v)) return v;
  } catch {
    // Absent or unreadable: create a new one (the id only identifies, it guards nothing).
  }
  mkdirSync(dir, { recursive: true });
  const id = randomUUID();
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${id}\n`);
  renameSync(tmp, file);
  return id;
}
