/**
 * The config schema shared by the `elasticsearch` and `opensearch` sinks (same bulk API, same
 * options), and its checks that a schema cannot express (templates parse, mode/action agree).
 */
import { Type, type Static } from '@sinclair/typebox';
import { VigilError } from '../../core/errors.js';
import { TimeoutSchema, TlsSchema } from '../http/transport.js';
import { parseIndexTemplate, type IndexTemplate } from './index-name.js';

export const BulkAuthSchema = Type.Object(
  {
    username: Type.Optional(Type.String({ description: 'Basic auth user name (with `password`).' })),
    password: Type.Optional(Type.String({ description: 'Basic auth password; write `${VAR}` to take it from the environment.' })),
    bearer_token: Type.Optional(Type.String({ minLength: 1, description: 'Sent as `Authorization: Bearer <token>` (e.g. an Elasticsearch service account token).' })),
    api_key: Type.Optional(Type.String({ minLength: 1, description: 'An Elasticsearch API key in its encoded form (base64 of `id:key`, the `encoded` value ES returns); sent as `Authorization: ApiKey <api_key>`.' })),
  },
  { additionalProperties: false, description: 'Authentication: basic (`username` + `password`), `bearer_token`, or `api_key` — one of them.' },
);

export const bulkSinkSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Base URL of the cluster, e.g. `https://es.example:9200`; `/_bulk` is appended.' }),
    mode: Type.Optional(Type.Union([Type.Literal('bulk'), Type.Literal('data_stream')], { default: 'bulk', description: '`bulk`: write to the `index` template; `data_stream`: write to the data stream `<type>-<dataset>-<namespace>` with `create` actions.' })),
    index: Type.Optional(Type.String({ minLength: 1, description: 'Index name template (bulk mode; default `vigil-%Y.%m.%d`): `%Y %y %m %d %H %j %G %V` from the entry time in UTC, `{{ labels.<name> }}` and `{{ fields.<name> }}` substituted (empty when absent); then lowercased and stripped of characters ES forbids.' })),
    data_stream: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.String({ minLength: 1, default: 'logs', description: 'Data stream type (`logs`).' })),
          dataset: Type.Optional(Type.String({ minLength: 1, default: 'generic', description: 'Dataset (`generic`); may use `{{ labels.<name> }}`; `-` becomes `_`.' })),
          namespace: Type.Optional(Type.String({ minLength: 1, default: 'default', description: 'Namespace; may use `{{ labels.<name> }}`; `-` becomes `_`.' })),
        },
        { additionalProperties: false, description: 'Data stream naming (mode `data_stream`): writes to `<type>-<dataset>-<namespace>`.' },
      ),
    ),
    action: Type.Optional(Type.Union([Type.Literal('index'), Type.Literal('create')], { description: 'Bulk action: `index` (overwrite by id) or `create` (fail when the id exists). Default `index` in bulk mode; data streams accept only `create`.' })),
    deterministic_ids: Type.Optional(Type.Boolean({ description: 'Give each document an `_id` hashed from its stream labels, timestamp and line, so a retried request does not store it twice. Default on with `create` (a 409 for such an id counts as stored), off with `index`.' })),
    id_field: Type.Optional(Type.String({ minLength: 1, description: 'Take the document `_id` from this field of the entry when present.' })),
    labels_as: Type.Optional(Type.Union([Type.Literal('object'), Type.Literal('fields')], { default: 'object', description: '`object`: stream labels under `labels`; `fields`: labels as top-level fields of the document.' })),
    parse_json: Type.Optional(Type.Boolean({ default: false, description: 'When a line is a JSON object, merge its keys into the document (`message` stays the raw line unless the object has its own).' })),
    pipeline: Type.Optional(Type.String({ minLength: 1, description: 'Ingest pipeline to run the documents through (`?pipeline=`).' })),
    gzip: Type.Optional(Type.Boolean({ default: false, description: 'Compress request bodies with gzip (`Content-Encoding: gzip`).' })),
    create_template: Type.Optional(Type.Boolean({ default: false, description: 'On start, PUT an index template `vigil-<sink id>` for the index pattern (`@timestamp` as date_nanos, `message` as text, labels as keywords; a data stream template in `data_stream` mode). Best-effort: the outcome is logged.' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), Type.String(), { description: 'Extra request headers (values may use `${VAR}`).' })),
    auth: Type.Optional(BulkAuthSchema),
    tls: Type.Optional(TlsSchema),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);

export type BulkSinkConfig = Static<typeof bulkSinkSchema>;

/** The settings a sink runs with, after defaults and the checks below. */
export interface ResolvedBulkConfig {
  mode: 'bulk' | 'data_stream';
  action: 'index' | 'create';
  deterministicIds: boolean;
  /** Template of the index (bulk) or of the data stream name. */
  target: IndexTemplate;
  /** Index pattern for `create_template` (`vigil-*`, `logs-app-*`). */
  pattern: string;
}

/** Applies defaults and checks what the schema cannot; throws CONFIG_INVALID naming `sinks.<id>.<key>`. */
export function resolveBulkConfig(c: BulkSinkConfig, id: string): ResolvedBulkConfig {
  const where = `sinks.${id}`;
  const mode = c.mode ?? 'bulk';
  if (mode === 'data_stream' && c.action === 'index') throw new VigilError('CONFIG_INVALID', `${where}.action: data streams accept only \`create\``);
  if (mode === 'data_stream' && c.index !== undefined) throw new VigilError('CONFIG_INVALID', `${where}.index: not used in data_stream mode (name the stream with data_stream.dataset/namespace)`);
  if (mode === 'bulk' && c.data_stream !== undefined) throw new VigilError('CONFIG_INVALID', `${where}.data_stream: only used with mode: data_stream`);
  const action = mode === 'data_stream' ? 'create' : (c.action ?? 'index');
  let source: string;
  let key: string;
  if (mode === 'data_stream') {
    const ds = c.data_stream ?? {};
    const type = ds.type ?? 'logs';
    if (type.includes('-')) throw new VigilError('CONFIG_INVALID', `${where}.data_stream.type: may not contain '-'`);
    // A `-` inside dataset or namespace would shift the type-dataset-namespace split; ES forbids it.
    const part = (s: string): string => s.replace(/-/g, '_');
    source = `${type}-${part(ds.dataset ?? 'generic')}-${part(ds.namespace ?? 'default')}`;
    key = 'data_stream';
  } else {
    source = c.index ?? 'vigil-%Y.%m.%d';
    key = 'index';
  }
  let target: IndexTemplate;
  try {
    target = mode === 'data_stream' ? parseIndexTemplate(source, (v) => v.replace(/-/g, '_')) : parseIndexTemplate(source);
  } catch (e) {
    throw new VigilError('CONFIG_INVALID', `${where}.${key}: ${(e as Error).message}`);
  }
  const pattern = patternOf(source);
  return { mode, action, deterministicIds: c.deterministic_ids ?? action === 'create', target, pattern };
}

/** The index pattern a template matches: every date part and substitution becomes `*`. */
export function patternOf(source: string): string {
  const p = source
    .replace(/%[YymdHjGV]/g, '*')
    .replace(/%%/g, '%')
    .replace(/\{\{[^}]*\}\}/g, '*')
    .toLowerCase()
    .replace(/[\\/?"<>| ,#:]/g, '_')
    .replace(/\*+/g, '*');
  return p;
}
