/**
 * The `filter` transform: keeps (or drops) the entries matching a LogQL pipeline condition made of
 * line filters and label filters (`|= "error" | level=~"warn|error"`). Stream labels and each
 * entry's fields are the labels the condition sees; entries are passed on unchanged.
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch, StreamBatch } from '../../../core/events.js';
import { pick } from '../merge.js';
import { compilePipeline, LogQLParseError, parsePipelineStages, PipelineEntry, type Stage } from '../../../query/logql/index.js';

const schema = Type.Object(
  {
    condition: Type.String({
      minLength: 1,
      description: 'LogQL pipeline of line filters and label filters, e.g. `|= "error" | level=~"warn|error"`. Fields of an entry act as labels.',
    }),
    action: Type.Optional(
      Type.Union([Type.Literal('keep'), Type.Literal('drop')], { description: '`keep` (default) passes only matching entries; `drop` removes them.' }),
    ),
  },
  { additionalProperties: false },
);

/** Parses and checks a condition; throws CONFIG_INVALID naming the position (1-based line:column). */
export function compileCondition(condition: string): Stage[] {
  let stages: Stage[];
  try {
    stages = parsePipelineStages(condition);
  } catch (e) {
    if (e instanceof LogQLParseError) {
      throw new VigilError('CONFIG_INVALID', `condition: ${e.message} (at byte ${e.position}: ${JSON.stringify(condition.slice(e.position, e.position + 20))})`);
    }
    throw new VigilError('CONFIG_INVALID', `condition: ${(e as Error).message}`);
  }
  for (const s of stages) {
    if (s.kind !== 'lineFilter' && s.kind !== 'labelFilter') {
      throw new VigilError('CONFIG_INVALID', `condition: only line filters and label filters are allowed, found a ${s.kind} stage`);
    }
  }
  return stages;
}

export default defineTransform({
  kind: 'transform',
  type: 'filter',
  description: 'Keeps or drops entries matching a LogQL condition (line filters and label filters).',
  schema,
  example: { condition: '|= "error" | level=~"warn|error"', action: 'keep' },
  build(config, ctx) {
    const stages = compileCondition(config.condition);
    let pipeline;
    try {
      pipeline = compilePipeline(stages);
    } catch (e) {
      throw new VigilError('CONFIG_INVALID', `condition: ${(e as Error).message}`);
    }
    const keep = (config.action ?? 'keep') === 'keep';
    const entry = new PipelineEntry();
    return {
      process(batch: LogBatch): LogBatch {
        const out: StreamBatch[] = [];
        let dropped = 0;
        for (const s of batch.streams) {
          const n = s.lines.length;
          // Indices kept; only materialized once the first entry is dropped (the common all-pass case copies nothing).
          let kept: number[] | undefined;
          for (let i = 0; i < n; i++) {
            entry.reset(s.labels, s.lines[i] as string, s.ts[i] as number, s.fields?.[i]);
            const pass = pipeline.run(entry) === keep;
            if (pass) {
              kept?.push(i);
            } else if (!kept) {
              kept = [];
              for (let j = 0; j < i; j++) kept.push(j);
            }
          }
          if (!kept) {
            out.push(s);
            continue;
          }
          dropped += n - kept.length;
          if (kept.length === 0) continue;
          out.push(pick(s, kept));
        }
        if (dropped > 0) ctx.metrics.discarded('filtered', dropped);
        return { streams: out };
      },
    };
  },
});
