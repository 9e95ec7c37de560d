/**
 * Renders the reference of every config section and component type from their schemas, whose
 * descriptions are the user docs. `npm run docs` writes docs/configuration.md; a test keeps it current.
 */
import { HostMetricsSchema } from '../hostmetrics/index.js';
import { HeartbeatSchema, MonitorCommonSchema, MonitoringSchema } from '../monitor/config.js';
import { allProbes } from '../monitor/probes/index.js';
import { BatchSchema, BufferSchema, RequestSchema } from '../pipeline/delivery-config.js';
import { ScrapeConfigsSchema } from '../scrape/index.js';
import type { TSchema } from '@sinclair/typebox';
import { allDefinitions } from '../components/registry.js';
import { LoggingSchema, ServerSchema, StorageSchema } from './schema.js';

interface JsonSchemaLike {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaLike>;
  required?: string[];
  items?: JsonSchemaLike;
  anyOf?: JsonSchemaLike[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  additionalProperties?: boolean | JsonSchemaLike;
  patternProperties?: Record<string, JsonSchemaLike>;
}

function typeText(s: JsonSchemaLike): string {
  if (s.anyOf) {
    if (s.anyOf.every((a) => a.const !== undefined)) return s.anyOf.map((a) => `\`${String(a.const)}\``).join(' \\| ');
    return s.anyOf.map(typeText).join(' or ');
  }
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.format === 'prom-duration') return 'duration';
  if (s.format === 'byte-size') return 'size';
  if (s.format === 'regex-re2') return 'regex';
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'values'}`;
  if (s.type === 'object' && s.patternProperties) return 'map';
  return s.type ?? 'value';
}

function rows(schema: JsonSchemaLike, prefix: string, out: string[]): void {
  const required = new Set(schema.required ?? []);
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const key = `${prefix}${name}`;
    const def = prop.default !== undefined && !(typeof prop.default === 'object' && Object.keys(prop.default as object).length === 0) ? `\`${JSON.stringify(prop.default)}\`` : required.has(name) ? '**required**' : '';
    const desc = (prop.description ?? '').replace(/\n/g, ' ').replace(/\|/g, '\\|');
    out.push(`| \`${key}\` | ${typeText(prop)} | ${def} | ${desc} |`);
    if (prop.type === 'object' && prop.properties) rows(prop, `${key}.`, out);
    if (prop.type === 'array' && prop.items?.type === 'object' && prop.items.properties) rows(prop.items, `${key}[].`, out);
  }
}

function table(schema: TSchema, prefix = ''): string {
  const out = ['| option | type | default | description |', '|---|---|---|---|'];
  rows(schema as JsonSchemaLike, prefix, out);
  return out.join('\n');
}

function ScrapeConfigSchemaItem(): TSchema {
  return (ScrapeConfigsSchema as unknown as { items: TSchema }).items;
}

export function renderConfigDocs(): string {
  const parts: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the schemas by `npm run docs`; do not edit by hand. -->',
    '',
    'Vigil reads one YAML file (`vigil run -c vigil.yaml`; `vigil check -c vigil.yaml` validates it and prints the component graph).',
    'Unknown keys are errors; every error is reported at once with its path and `file:line:column`.',
    'String values may use `${VAR}` and `${VAR:-default}` (environment variables); `$$` is a literal `$`.',
    'Durations are written as in Prometheus (`30s`, `5m`, `1h30m`, `7d`); sizes as bytes or `512KiB`, `10MB`.',
    '',
    '## server',
    '',
    table(ServerSchema, 'server.'),
    '',
    '## storage',
    '',
    table(StorageSchema, 'storage.'),
    '',
    '## logging',
    '',
    table(LoggingSchema, 'logging.'),
    '',
    '## Components',
    '',
    'Sources, sinks and pipeline stages (transforms) are maps keyed by an id you choose:',
    '',
    '```yaml',
    'sources:',
    '  api:                 # the id',
    '    type: file',
    '    include: [/var/log/api/*.log]',
    '    labels: { service: api }',
    '    pipeline:          # transforms applied in order',
    '      - type: json',
    'sinks:',
    '  store:',
    '    type: store',
    '    inputs: [api]      # default: every source',
    '```',
    '',
  ];
  for (const kind of ['source', 'transform', 'sink'] as const) {
    parts.push(`### ${kind === 'transform' ? 'Transforms (pipeline stages)' : `${kind[0]?.toUpperCase()}${kind.slice(1)}s`}`, '');
    if (kind === 'sink') {
      parts.push(
        'Every sink also takes these delivery options (beside `inputs`): its buffer, how requests are formed, how many run at once, and which entries it takes.',
        '',
        '| key | type | default | description |',
        '|---|---|---|---|',
        `| \`condition\` | string |  | Routing: LogQL line and label filters an entry must pass to reach this sink, e.g. \`| level=~"error|fatal"\`. |`.replace(/\|(?= level|fatal)/g, '\\|'),
        '',
        table(BufferSchema, 'buffer.'),
        '',
        table(BatchSchema, 'batch.'),
        '',
        table(RequestSchema, 'request.'),
        '',
        'The default buffer is `disk` for sinks that send over the network (' + allDefinitions().filter((d) => d.kind === 'sink' && d.defaultBuffer === 'disk').map((d) => `\`${d.type}\``).join(', ') + ') and `memory` for the others. Requests in flight default to 1, except ' + allDefinitions().filter((d) => d.kind === 'sink' && (d.defaultConcurrency ?? 1) !== 1).map((d) => `\`${d.type}\` (${d.kind === 'sink' ? d.defaultConcurrency : ''})`).join(', ') + '.',
        '',
      );
    }
    for (const d of allDefinitions().filter((x) => x.kind === kind).sort((a, b) => a.type.localeCompare(b.type))) {
      parts.push(`#### \`${d.type}\``, '', d.description, '', table(d.schema), '', 'Example:', '', '```json', JSON.stringify({ type: d.type, ...d.example }, null, 2), '```', '');
    }
  }
  parts.push(
    '## monitors',
    '',
    'Probes and heartbeats, keyed by a name you choose. Every monitor takes these keys, plus the options of its type:',
    '',
    table(MonitorCommonSchema),
    '',
    '### `heartbeat`',
    '',
    'A push monitor (dead-man\'s switch): a job calls `/api/vigil/v1/push/<token>`; DOWN when no ping arrives for `interval + grace`.',
    '',
    table(HeartbeatSchema),
    '',
  );
  for (const p of [...allProbes()].sort((a, b) => a.type.localeCompare(b.type))) {
    parts.push(`### \`${p.type}\``, '', p.description, '', table(p.schema), '', 'Example:', '', '```json', JSON.stringify({ type: p.type, ...p.example }, null, 2), '```', '');
  }
  parts.push('## monitoring', '', table(MonitoringSchema, 'monitoring.'), '', '## host_metrics', '', table(HostMetricsSchema, 'host_metrics.'), '');
  parts.push(
    '## scrape_configs',
    '',
    'Prometheus\'s own `scrape_configs` syntax (with `global.scrape_interval` and `global.scrape_timeout` as defaults); a block copied from prometheus.yml works unchanged.',
    '',
    table(ScrapeConfigSchemaItem(), 'scrape_configs[].'),
    '',
  );
  return `${parts.join('\n')}\n`;
}
