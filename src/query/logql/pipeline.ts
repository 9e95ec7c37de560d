/**
 * The LogQL pipeline compiler: stages (from parseLogQL's AST) → a function over entries. The
 * engine runs it on every selected entry; the agent's transforms reuse it for line and label
 * filters. Entries that only meet line filters never allocate a label set.
 */
import { formatLabels, type Labels } from '../../core/labels.js';
import type { Micros } from '../../core/time.js';
import type { LineFilter } from '../../store/interfaces.js';
import type { LogSelectorExpr, Stage } from './ast.js';
import { EntryLabels, ERROR_DETAILS_LABEL, ERROR_LABEL, Errors } from './entry-labels.js';
import { compileLabelFilter } from './label-filter.js';
import { compileLineFilter } from './line-filter.js';
import { jsonParser, logfmtParser, patternParser, regexpParser, unpackParser } from './parsers.js';
import { compileTemplate } from './template.js';
import { queryError } from './errors.js';
import { compileMatcher } from '../../core/labels.js';

/** One entry in flight; `lbs` is created on first use so label-free pipelines stay cheap. */
export class PipelineEntry {
  line = '';
  ts: Micros = 0;
  base: Labels = {};
  private l: EntryLabels | undefined;
  /**
   * Starts an entry. Its structured metadata (`fields`) behaves as labels in the pipeline and in
   * results, as Loki 3 does; a name taken by a stream label gets the `_extracted` suffix.
   */
  reset(base: Labels, line: string, ts: Micros, fields?: Readonly<Record<string, string>>): void {
    this.base = base;
    this.line = line;
    this.ts = ts;
    this.l = undefined;
    if (fields) {
      for (const k in fields) {
        const v = fields[k] as string;
        if (v !== '') this.lbs.setParsed(k, v);
      }
    }
  }
  get lbs(): EntryLabels {
    this.l ??= new EntryLabels(this.base);
    return this.l;
  }
  private baseMapFor: Labels | undefined;
  private baseMap: ReadonlyMap<string, string> | undefined;
  /** The labels for reading only (templates): no per-entry copy while no stage changed them. */
  readLabels(): ReadonlyMap<string, string> {
    if (this.l) return this.l.map;
    if (this.baseMapFor !== this.base) {
      this.baseMapFor = this.base;
      this.baseMap = new Map(Object.entries(this.base));
    }
    return this.baseMap as ReadonlyMap<string, string>;
  }
  /** True when a stage touched the labels (so the result may differ from the stream's). */
  get labelsTouched(): boolean {
    return this.l !== undefined;
  }
}

type Step = (e: PipelineEntry) => boolean;

/** Output of one processed stream batch: entries grouped by their label set after the pipeline. */
export interface ProcessedGroup {
  labels: Labels;
  key: string;
  ts: Micros[];
  lines: string[];
}

export interface CompiledPipeline {
  /** Runs one entry; null when a stage filtered it out. */
  (labels: Labels, line: string, ts: Micros): { line: string; labels: Labels } | null;
  /** Runs a stream's batch; groups output entries by resulting label set, keeping their order. */
  batch(labels: Labels, key: string, ts: ReadonlyArray<Micros>, lines: ReadonlyArray<string>, fields?: ReadonlyArray<Readonly<Record<string, string>> | undefined>): ProcessedGroup[];
  /** Runs the steps on a reusable entry (for the engine's sample extraction); false when filtered out. */
  run(e: PipelineEntry): boolean;
  /** True when no stage can change labels (output labels are the stream's). */
  readonly keepsLabels: boolean;
}

/**
 * Compiles pipeline stages. Called by the engine per query and by agent transforms once per
 * config. Throws VigilError BAD_QUERY for invalid templates, regexes or ip() patterns.
 */
export function compilePipeline(stages: ReadonlyArray<Stage>): CompiledPipeline {
  const steps = stages.map(compileStage);
  const keepsLabels = stages.every((s) => s.kind === 'lineFilter' || s.kind === 'lineFormat' || s.kind === 'decolorize');
  const run = (e: PipelineEntry): boolean => {
    for (const st of steps) if (!st(e)) return false;
    return true;
  };
  const scratch = new PipelineEntry();
  const one = ((labels: Labels, line: string, ts: Micros) => {
    scratch.reset(labels, line, ts);
    if (!run(scratch)) return null;
    return { line: scratch.line, labels: scratch.labelsTouched ? scratch.lbs.result() : labels };
  }) as CompiledPipeline;
  one.run = run;
  Object.defineProperty(one, 'keepsLabels', { value: keepsLabels });
  one.batch = (labels, key, ts, lines, fields) => {
    const groups = new Map<string, ProcessedGroup>();
    let same: ProcessedGroup | undefined;
    const e = new PipelineEntry();
    for (let i = 0; i < lines.length; i++) {
      e.reset(labels, lines[i] as string, ts[i] as Micros, fields?.[i]);
      if (!run(e)) continue;
      let g: ProcessedGroup | undefined;
      if (!e.labelsTouched) {
        same ??= groups.get(key) ?? { labels, key, ts: [], lines: [] };
        groups.set(key, same);
        g = same;
      } else {
        const out = e.lbs.result();
        const k = formatLabels(out);
        g = groups.get(k);
        if (!g) {
          g = { labels: out, key: k, ts: [], lines: [] };
          groups.set(k, g);
          if (k === key) same = g;
        }
      }
      g.ts.push(e.ts);
      g.lines.push(e.line);
    }
    return [...groups.values()];
  };
  return one;
}

function compileStage(s: Stage): Step {
  switch (s.kind) {
    case 'lineFilter': {
      const f = compileLineFilter(s);
      return (e) => f(e.line);
    }
    case 'json':
    case 'logfmt':
    case 'regexp':
    case 'pattern':
    case 'unpack': {
      const p = s.kind === 'json' ? jsonParser(s) : s.kind === 'logfmt' ? logfmtParser(s) : s.kind === 'regexp' ? regexpParser(s.pattern) : s.kind === 'pattern' ? patternParser(s.pattern) : unpackParser();
      return (e) => {
        const line = p(e.line, e.lbs);
        if (line !== undefined) e.line = line;
        return true;
      };
    }
    case 'labelFilter': {
      const f = compileLabelFilter(s.filter);
      return (e) => f(e.lbs);
    }
    case 'decolorize':
      return (e) => {
        e.line = e.line.replace(ANSI, '');
        return true;
      };
    case 'lineFormat': {
      const t = compileTemplate(s.template, 'line_format');
      return (e) => {
        try {
          e.line = t({ labels: e.readLabels(), line: e.line, ts: e.ts });
        } catch (err) {
          e.lbs.setError(Errors.template, (err as Error).message);
        }
        return true;
      };
    }
    case 'labelFormat': {
      const seen = new Set<string>();
      const items = s.items.map((it) => {
        if (seen.has(it.dst)) throw queryError(`label_format: multiple label formats for the same label name "${it.dst}"`);
        seen.add(it.dst);
        return { dst: it.dst, src: it.src, t: it.template !== undefined ? compileTemplate(it.template, `label_format ${it.dst}`) : undefined };
      });
      return (e) => {
        const lbs = e.lbs;
        // As Loki: renames apply in order (only when the source exists); templates all see one
        // snapshot of the labels, taken when the first template runs.
        let input: { labels: Map<string, string>; line: string; ts: Micros } | undefined;
        for (const it of items) {
          if (it.t) {
            input ??= { labels: new Map(lbs.map), line: e.line, ts: e.ts };
            try {
              lbs.set(it.dst, it.t(input));
            } catch (err) {
              lbs.setError(Errors.template, (err as Error).message);
            }
          } else if (it.src !== undefined) {
            const v = lbs.get(it.src);
            if (v === undefined) continue;
            lbs.set(it.dst, v);
            if (it.src !== it.dst) lbs.delete(it.src);
          }
        }
        return true;
      };
    }
    case 'drop': {
      const items = s.items.map((it) => ({ name: it.name, m: it.matcher ? compileMatcher(it.matcher) : undefined }));
      return (e) => {
        const lbs = e.lbs;
        for (const it of items) {
          const v = lbs.get(it.name);
          if (v === undefined) continue;
          if (!it.m || it.m(v)) lbs.delete(it.name); // Loki leaves __error_details__ unless it is dropped too
        }
        return true;
      };
    }
    case 'keep': {
      const items = s.items.map((it) => ({ name: it.name, m: it.matcher ? compileMatcher(it.matcher) : undefined }));
      return (e) => {
        const lbs = e.lbs;
        for (const [k, v] of [...lbs.map]) {
          // Loki never drops the error labels with keep: errors must stay visible.
          if (k === ERROR_LABEL || k === ERROR_DETAILS_LABEL) continue;
          if (!items.some((it) => it.name === k && (!it.m || it.m(v)))) lbs.delete(k);
        }
        return true;
      };
    }
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /[\u001b\u009b][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;

/**
 * The line filters that can run in the store: those before the first stage that changes the
 * line or labels (`|= "a" or "b"` becomes one `|~` regex). The engine passes them as
 * `LogSelect.lineFilters` and still runs the full pipeline (filters are idempotent).
 */
export function pushdownLineFilters(sel: LogSelectorExpr): LineFilter[] {
  const out: LineFilter[] = [];
  for (const s of sel.stages) {
    if (s.kind !== 'lineFilter') break;
    if (s.ip || s.op === '|>' || s.op === '!>') continue;
    if (s.values.length === 1) out.push({ op: s.op, value: s.values[0] as string });
    else if (s.op === '!=' || s.op === '!~') for (const v of s.values) out.push({ op: s.op, value: v });
    else if (s.op === '|=') out.push({ op: '|~', value: s.values.map(quoteRegExp).join('|') });
    else if (s.values.every((v) => !/^\(\?[ims]+\)/.test(v))) out.push({ op: '|~', value: s.values.map((v) => `(?:${v})`).join('|') });
  }
  return out;
}

/** Escapes text for an RE2/JS regex. */
export function quoteRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
