/**
 * Schema building blocks shared by every module's config schema, so durations, sizes and regexes
 * are written and validated the same way everywhere (Prometheus/Loki conventions).
 */
import { Type, type StringOptions } from '@sinclair/typebox';

/** A Prometheus-style duration string: `30s`, `5m`, `1h30m`, `7d`. */
export const Duration = (opts: StringOptions = {}) => Type.String({ format: 'prom-duration', ...opts });

/** A byte size: a number of bytes or a string like `512KiB`, `10MB`. */
export const ByteSize = (opts: { description: string; default?: string | number }) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'byte-size' })], opts);

/** A regular expression (JavaScript syntax; RE2-compatible patterns behave the same). */
export const Regex = (opts: StringOptions = {}) => Type.String({ format: 'regex-re2', ...opts });

/** A map of label name → value. */
export const LabelMap = (description: string) =>
  Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String(), { description });
