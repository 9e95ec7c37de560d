/**
 * The label set of one entry while it moves through a pipeline: the stream's labels plus what
 * parsers and formatters added, with Loki's error labels. Created lazily by the pipeline (only
 * stages that read or change labels pay for it).
 */
import type { Labels } from '../../core/labels.js';

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';

/** Loki's error values for `__error__`. */
export const Errors = {
  json: 'JSONParserErr',
  logfmt: 'LogfmtParserErr',
  labelFilter: 'LabelFilterErr',
  sampleExtraction: 'SampleExtractionErr',
  template: 'TemplateFormatErr',
} as const;

export class EntryLabels {
  readonly map: Map<string, string>;
  constructor(readonly base: Labels) {
    this.map = new Map(Object.entries(base));
  }

  get(name: string): string | undefined {
    return this.map.get(name);
  }

  set(name: string, value: string): void {
    this.map.set(name, value);
  }

  delete(name: string): void {
    this.map.delete(name);
  }

  /** Sets a label extracted by a parser: a name taken by a stream label gets Loki's `_extracted` suffix. */
  setParsed(name: string, value: string): void {
    this.map.set(Object.hasOwn(this.base, name) ? `${name}_extracted` : name, value);
  }

  hasError(): boolean {
    const e = this.map.get(ERROR_LABEL);
    return e !== undefined && e !== '';
  }

  /** Records an error; a later error replaces an earlier one, as Loki's labels builder does. */
  setError(err: string, details?: string): void {
    this.map.set(ERROR_LABEL, err);
    if (details) this.map.set(ERROR_DETAILS_LABEL, details);
    else this.map.delete(ERROR_DETAILS_LABEL);
  }

  /** The final label set: empty values are dropped (as Prometheus' labels builder does). */
  result(): Labels {
    const out: Labels = {};
    for (const [k, v] of this.map) if (v !== '') out[k] = v;
    return out;
  }
}
