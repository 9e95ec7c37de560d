/** Helpers for parser tests: build a parser through its definition (schema defaults applied) and run lines through it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TransformDefinition, Transform } from '../../components/contract.js';
import { makeTestContext } from '../../components/testing.js';
import { validateAgainst } from '../../config/validate.js';
import { batchToRecords, type LogBatch, type LogRecord } from '../../core/events.js';
import type { Labels } from '../../core/labels.js';

export function buildParser(def: TransformDefinition, config: Record<string, unknown>, now?: () => number): Transform {
  const issues = validateAgainst(def.schema, config);
  if (issues.length > 0) throw new Error(JSON.stringify(issues));
  const ctx = makeTestContext('transform', def.type);
  if (now) ctx.now = now;
  ctx.cleanup();
  return def.build(config as never, ctx);
}

export function batchOf(lines: string[], labels: Labels = { job: 'test' }, ts = 1_000_000): LogBatch {
  return { streams: [{ labels, ts: lines.map((_, i) => ts + i), lines: [...lines] }] };
}

export function run(t: Transform, lines: string[], labels?: Labels): LogRecord[] {
  return batchToRecords(t.process(batchOf(lines, labels)));
}

/** Lines of a fixture in `testdata/` beside this file. */
export function fixture(name: string): string[] {
  return readFileSync(fileURLToPath(new URL(`testdata/${name}`, import.meta.url)), 'utf8').trimEnd().split('\n');
}
