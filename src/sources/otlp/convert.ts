/**
 * OTLP logs (decoded from JSON or protobuf into the same object shape) to a LogBatch, the way
 * Loki's OTLP ingestion maps them: allowlisted resource attributes become labels (dots → `_`),
 * `level` comes from the severity, everything else (other resource attributes, scope, log
 * attributes, trace/span ids, severity) becomes structured metadata (fields). The body is the
 * line: a string as is, any other value as JSON. A record that cannot be mapped is rejected and
 * counted for the response's partialSuccess; the rest of the request is kept.
 */
import type { LogBatch, StreamBatch } from '../../core/events.js';
import { sanitizeLabelName, streamKey, type Labels } from '../../core/labels.js';
import { nanosStringToMicros, type Micros } from '../../core/time.js';
import { HttpSourceError } from '../shared-http/body.js';
import { jsonTypeName } from '../shared-http/json.js';

export interface ConvertOptions {
  labels: Labels;
  /** Resource attribute names promoted to labels. */
  resourceLabels: ReadonlySet<string>;
  /** 'hex' for OTLP/JSON, 'base64' for protobuf decoded by protobufjs. */
  idEncoding: 'hex' | 'base64';
  now: Micros;
}

export interface Converted {
  batch: LogBatch;
  accepted: number;
  rejected: number;
  /** Reasons for the first rejected records, naming their JSON path. */
  problems: string[];
}

const MAX_PROBLEMS = 10;

type Obj = Record<string, unknown>;

class RecordError extends Error {}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** OTLP/JSON receivers must accept lowerCamelCase and may accept the proto names. */
function pick(o: Obj, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}

function list(o: Obj, camel: string, snake: string, where: string): unknown[] {
  const v = pick(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new HttpSourceError('bad_request', `${where}.${camel}: expected an array, found ${jsonTypeName(v)}`);
  return v;
}

/** An AnyValue as a plain JS value (int64 as a number when exact, else its decimal string). */
export function anyValue(v: unknown, where: string): unknown {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new RecordError(`${where}: expected an AnyValue object, found ${jsonTypeName(v)}`);
  if ('stringValue' in v || 'string_value' in v) {
    const s = pick(v, 'stringValue', 'string_value');
    if (typeof s !== 'string') throw new RecordError(`${where}.stringValue: expected a string, found ${jsonTypeName(s)}`);
    return s;
  }
  if ('boolValue' in v || 'bool_value' in v) return Boolean(pick(v, 'boolValue', 'bool_value'));
  if ('intValue' in v || 'int_value' in v) {
    const i = pick(v, 'intValue', 'int_value');
    const text = typeof i === 'number' ? String(i) : i;
    if (typeof text !== 'string' || !/^-?\d{1,20}$/.test(text)) throw new RecordError(`${where}.intValue: expected an integer (a decimal string in OTLP/JSON), found ${JSON.stringify(i)}`);
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if ('doubleValue' in v || 'double_value' in v) {
    const d = pick(v, 'doubleValue', 'double_value');
    if (typeof d === 'number') return d;
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return d;
    throw new RecordError(`${where}.doubleValue: expected a number, found ${jsonTypeName(d)}`);
  }
  if ('arrayValue' in v || 'array_value' in v) {
    const a = pick(v, 'arrayValue', 'array_value');
    const values = isObj(a) ? a['values'] ?? [] : undefined;
    if (!Array.isArray(values)) throw new RecordError(`${where}.arrayValue: expected {"values": [...]}`);
    return values.map((x, i) => anyValue(x, `${where}.arrayValue.values[${i}]`));
  }
  if ('kvlistValue' in v || 'kvlist_value' in v) {
    const a = pick(v, 'kvlistValue', 'kvlist_value');
    const values = isObj(a) ? a['values'] ?? [] : undefined;
    if (!Array.isArray(values)) throw new RecordError(`${where}.kvlistValue: expected {"values": [...]}`);
    const out: Obj = {};
    values.forEach((kv, i) => {
      const w = `${where}.kvlistValue.values[${i}]`;
      if (!isObj(kv) || typeof kv['key'] !== 'string') throw new RecordError(`${w}: expected {"key": string, "value": AnyValue}`);
      out[kv['key']] = anyValue(kv['value'], `${w}.value`);
    });
    return out;
  }
  if ('bytesValue' in v || 'bytes_value' in v) {
    const b = pick(v, 'bytesValue', 'bytes_value');
    if (typeof b !== 'string') throw new RecordError(`${where}.bytesValue: expected base64 text`);
    return b;
  }
  return null; // an AnyValue with no value set
}

/** A value as line/field text: strings as is, everything else as compact JSON. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

function attributes(o: Obj, where: string, into: Array<[string, unknown]>): void {
  const attrs = pick(o, 'attributes', 'attributes');
  if (attrs === undefined || attrs === null) return;
  if (!Array.isArray(attrs)) throw new RecordError(`${where}.attributes: expected an array, found ${jsonTypeName(attrs)}`);
  attrs.forEach((kv, i) => {
    const w = `${where}.attributes[${i}]`;
    if (!isObj(kv) || typeof kv['key'] !== 'string') throw new RecordError(`${w}: expected {"key": string, "value": AnyValue}`);
    into.push([kv['key'], anyValue(kv['value'], `${w}.value`)]);
  });
}

/** OTLP's severity number ranges (and common severity texts) to Vigil's level names. */
export function levelOf(num: number, txt: string): string | undefined {
  if (num >= 1 && num <= 4) return 'trace';
  if (num >= 5 && num <= 8) return 'debug';
  if (num >= 9 && num <= 12) return 'info';
  if (num >= 13 && num <= 16) return 'warn';
  if (num >= 17 && num <= 20) return 'error';
  if (num >= 21 && num <= 24) return 'fatal';
  const t = txt.trim().toLowerCase();
  if (!t) return undefined;
  if (/^(trace|finest)/.test(t)) return 'trace';
  if (/^(debug|fine)/.test(t)) return 'debug';
  if (/^(info|notice|information)/.test(t)) return 'info';
  if (/^warn/.test(t)) return 'warn';
  if (/^(err|severe)/.test(t)) return 'error';
  if (/^(fatal|crit|alert|emerg|panic)/.test(t)) return 'fatal';
  return undefined;
}

function nanos(v: unknown, where: string): Micros | undefined {
  if (v === undefined || v === null || v === '0' || v === 0) return undefined;
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  const us = typeof s === 'string' ? nanosStringToMicros(s) : undefined;
  if (us === undefined) throw new RecordError(`${where}: expected nanoseconds since the epoch as a decimal string, found ${JSON.stringify(v)}`);
  return us;
}

function traceId(v: unknown, bytes: number, o: ConvertOptions, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new RecordError(`${where}: expected ${o.idEncoding === 'hex' ? 'hex' : 'bytes'}, found ${jsonTypeName(v)}`);
  const hex = o.idEncoding === 'hex' ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex)) throw new RecordError(`${where}: expected ${bytes} bytes${o.idEncoding === 'hex' ? ` as ${bytes * 2} hex digits` : ''}, found ${JSON.stringify(v)}`);
  return /^0+$/.test(hex) ? undefined : hex;
}

/**
 * Maps a decoded ExportLogsServiceRequest. Throws HttpSourceError (400) only when the request's
 * structure is unusable (not an object, lists that are not arrays); bad records are counted.
 */
export function convertLogs(req: unknown, o: ConvertOptions): Converted {
  if (!isObj(req)) throw new HttpSourceError('bad_request', `body: expected an ExportLogsServiceRequest object, found ${jsonTypeName(req)}`);
  const streams = new Map<string, StreamBatch>();
  const out: Converted = { batch: { streams: [] }, accepted: 0, rejected: 0, problems: [] };
  const reject = (msg: string, n = 1): void => {
    out.rejected += n;
    if (out.problems.length < MAX_PROBLEMS) out.problems.push(msg);
  };
  list(req, 'resourceLogs', 'resource_logs', 'body').forEach((rl, ri) => {
    const rw = `resourceLogs[${ri}]`;
    if (!isObj(rl)) throw new HttpSourceError('bad_request', `${rw}: expected an object, found ${jsonTypeName(rl)}`);
    const resLabels: Labels = { ...o.labels };
    const resFields: Record<string, string> = {};
    const scopes = list(rl, 'scopeLogs', 'scope_logs', rw);
    try {
      const attrs: Array<[string, unknown]> = [];
      const res = rl['resource'];
      if (res !== undefined && res !== null) {
        if (!isObj(res)) throw new RecordError(`${rw}.resource: expected an object, found ${jsonTypeName(res)}`);
        attributes(res, `${rw}.resource`, attrs);
      }
      for (const [k, v] of attrs) {
        if (o.resourceLabels.has(k) && typeof v !== 'object') resLabels[sanitizeLabelName(k)] = text(v);
        else resFields[sanitizeLabelName(k)] = text(v);
      }
      if (o.resourceLabels.has('service.name') && !resLabels['service_name']) resLabels['service_name'] = 'unknown_service';
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      let n = 0;
      for (const s of scopes) if (isObj(s)) n += list(s, 'logRecords', 'log_records', rw).length;
      reject(e.message, n);
      return;
    }
    scopes.forEach((sl, si) => {
      const sw = `${rw}.scopeLogs[${si}]`;
      if (!isObj(sl)) throw new HttpSourceError('bad_request', `${sw}: expected an object, found ${jsonTypeName(sl)}`);
      const scopeFields: Record<string, string> = { ...resFields };
      const scope = sl['scope'];
      if (isObj(scope)) {
        if (typeof scope['name'] === 'string' && scope['name']) scopeFields['scope_name'] = scope['name'];
        if (typeof scope['version'] === 'string' && scope['version']) scopeFields['scope_version'] = scope['version'];
      }
      list(sl, 'logRecords', 'log_records', sw).forEach((lr, li) => {
        const lw = `${sw}.logRecords[${li}]`;
        try {
          if (!isObj(lr)) throw new RecordError(`${lw}: expected an object, found ${jsonTypeName(lr)}`);
          const ts = nanos(pick(lr, 'timeUnixNano', 'time_unix_nano'), `${lw}.timeUnixNano`)
            ?? nanos(pick(lr, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${lw}.observedTimeUnixNano`)
            ?? o.now;
          const sevNum = Number(pick(lr, 'severityNumber', 'severity_number') ?? 0);
          const sevText = String(pick(lr, 'severityText', 'severity_text') ?? '');
          const line = text(anyValue(lr['body'], `${lw}.body`));
          const attrs: Array<[string, unknown]> = [];
          attributes(lr, lw, attrs);
          const fields: Record<string, string> = { ...scopeFields };
          for (const [k, v] of attrs) fields[sanitizeLabelName(k)] = text(v);
          const tid = traceId(pick(lr, 'traceId', 'trace_id'), 16, o, `${lw}.traceId`);
          const sid = traceId(pick(lr, 'spanId', 'span_id'), 8, o, `${lw}.spanId`);
          if (tid) fields['trace_id'] = tid;
          if (sid) fields['span_id'] = sid;
          if (sevText) fields['severity_text'] = sevText;
          if (sevNum) fields['severity_number'] = String(sevNum);
          const eventName = pick(lr, 'eventName', 'event_name');
          if (typeof eventName === 'string' && eventName) fields['event_name'] = eventName;
          const labels: Labels = { ...resLabels };
          const level = levelOf(sevNum, sevText);
          if (level) labels['level'] = level;
          const key = streamKey(labels);
          let s = streams.get(key);
          if (!s) {
            s = { labels, ts: [], lines: [], fields: [] };
            streams.set(key, s);
          }
          s.ts.push(ts);
          s.lines.push(line);
          (s.fields as Array<Record<string, string> | undefined>).push(Object.keys(fields).length > 0 ? fields : undefined);
          out.accepted++;
        } catch (e) {
          if (!(e instanceof RecordError)) throw e;
          reject(e.message);
        }
      });
    });
  });
  out.batch.streams = [...streams.values()];
  return out;
}
