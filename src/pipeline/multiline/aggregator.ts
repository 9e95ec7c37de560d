/**
 * Joins physical lines into multi-line records (stack traces, pretty-printed dumps) the way
 * Vector's `multiline` and Fluent Bit's multiline parsers do, but on columns: lines and their end
 * offsets go in as arrays, whole records and the end offset of their last line come out.
 */
import type { Micros } from '../../core/time.js';

export type MultilineMode = 'start' | 'continuation';

export interface MultilineOptions {
  /** `start`: a matching line begins a new record. `continuation`: a matching line extends the previous one. */
  mode: MultilineMode;
  pattern: RegExp;
  /** A record that got no new line for this long is complete. */
  timeout: Micros;
  /** A record is cut after this many lines, so one endless trace cannot hold memory forever. */
  maxLines: number;
}

/** Column output shared by the line splitter and the aggregator: `lines[i]` ends at byte `ends[i]`. */
export interface LineColumns {
  lines: string[];
  ends: number[];
}

/**
 * One aggregator per input (file). Used by the `file` source; not thread-safe, not async.
 * Guarantees that every pushed line comes out exactly once, in order, inside exactly one record
 * (joined with `\n`), and that a record's end offset is the end of its last line, so a checkpoint
 * taken at a record's end never skips a line still held here.
 */
export class MultilineAggregator {
  private readonly opts: MultilineOptions;
  private parts: string[] = [];
  private end = 0;
  private lastAt: Micros = 0;

  constructor(opts: MultilineOptions) {
    // A global/sticky regex carries lastIndex between tests; a fresh non-global copy is stateless.
    const flags = opts.pattern.flags.replace(/[gy]/g, '');
    this.opts = { ...opts, pattern: new RegExp(opts.pattern.source, flags) };
  }

  /** Lines currently held (not yet part of an output record). */
  get heldLines(): number {
    return this.parts.length;
  }

  /** Adds lines; completed records are appended to `out`. */
  push(lines: ReadonlyArray<string>, ends: ReadonlyArray<number>, now: Micros, out: LineColumns): void {
    const { pattern, mode, maxLines } = this.opts;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const matches = pattern.test(line);
      const startsRecord = mode === 'start' ? matches : !matches;
      if (startsRecord && this.parts.length > 0) this.flush(out);
      this.parts.push(line);
      this.end = ends[i] as number;
      if (this.parts.length >= maxLines) this.flush(out);
    }
    if (lines.length > 0) this.lastAt = now;
  }

  /** Emits the held record when no line arrived for `timeout`; true when it did. */
  flushIfIdle(now: Micros, out: LineColumns): boolean {
    if (this.parts.length === 0 || now - this.lastAt < this.opts.timeout) return false;
    this.flush(out);
    return true;
  }

  /** When the held record becomes due (for the caller's sleep), or undefined when nothing is held. */
  dueAt(): Micros | undefined {
    return this.parts.length === 0 ? undefined : this.lastAt + this.opts.timeout;
  }

  /** Emits the held record now (end of input). */
  flush(out: LineColumns): void {
    if (this.parts.length === 0) return;
    out.lines.push(this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('\n'));
    out.ends.push(this.end);
    this.parts = [];
  }

  /** Forgets held lines (the caller rewinds its input to before them). */
  reset(): void {
    this.parts = [];
  }
}
