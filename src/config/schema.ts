/**
 * The root config schema: `vigil.yaml`. Each module contributes its own section schema; component
 * entries (sources, sinks, pipeline stages) are checked here only for their `type`, then against
 * their own schema from the registry (see load.ts), so every error is reported in one pass.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LogStoreConfigSchema } from '../store/logs/config.js';
import { MetricsStoreConfigSchema } from '../store/metrics/config.js';
import { ByteSize, Duration } from './types.js';
import { HostMetricsSchema } from '../hostmetrics/index.js';
import { ScrapeConfigsSchema } from '../scrape/config.js';
import { RemoteWriteConfigsSchema } from '../metrics/remote-write/config.js';
import { MonitoringSchema, MonitorsSectionSchema } from '../monitor/config.js';
import { BatchSchema, BufferSchema, RequestSchema } from '../pipeline/delivery-config.js';

export const DEFAULT_LISTEN = '127.0.0.1:9470';
export const DEFAULT_DATA_DIR = './vigil-data';

const ComponentId = '^[a-zA-Z_][a-zA-Z0-9_-]*$';

const StageSchema = Type.Object(
  { type: Type.String({ description: 'Transform type: json, logfmt, regex, timestamp, level, ...' }) },
  { additionalProperties: true, description: 'A pipeline stage (a transform); its other keys are its own options.' },
);

const SourceEntry = Type.Object(
  {
    type: Type.String({ description: 'Source type, e.g. `file`.' }),
    pipeline: Type.Optional(Type.Array(StageSchema, { description: 'Transforms applied in order to what this source reads (parsers, labels).' })),
  },
  { additionalProperties: true },
);

const SinkEntry = Type.Object(
  {
    type: Type.String({ description: 'Sink type, e.g. `store`.' }),
    inputs: Type.Optional(Type.Array(Type.String(), { description: 'Source ids this sink takes from; default: every source.' })),
    condition: Type.Optional(Type.String({ description: 'Routing: only entries passing these LogQL line and label filters reach this sink, e.g. `| level=~"error|fatal"` or `|= "payment"`.' })),
    buffer: Type.Optional(BufferSchema),
    batch: Type.Optional(BatchSchema),
    request: Type.Optional(RequestSchema),
  },
  { additionalProperties: true },
);

export const ServerSchema = Type.Object(
  {
    listen: Type.String({ format: 'listen-address', default: DEFAULT_LISTEN, description: 'host:port of the HTTP API and console. Any non-loopback address requires `auth.tokens`.' }),
    auth: Type.Object(
      {
        tokens: Type.Array(Type.String({ minLength: 16 }), { default: [], description: 'API tokens accepted as `Authorization: Bearer <token>` (or as the password of basic auth). At least 16 characters each.' }),
        public_metrics: Type.Boolean({ default: false, description: 'Serve /metrics without a token.' }),
      },
      { additionalProperties: false, default: {}, description: 'API authentication; checked on every request but /ready (and /metrics when public).' },
    ),
    tls: Type.Optional(
      Type.Object(
        {
          cert_file: Type.String({ description: 'PEM certificate chain.' }),
          key_file: Type.String({ description: 'PEM private key.' }),
        },
        { additionalProperties: false, description: 'Serve HTTPS.' },
      ),
    ),
    multi_tenant: Type.Boolean({ default: false, description: 'Honour `X-Scope-OrgID` as Loki does; when false, everything goes to the default tenant.' }),
    limits: Type.Object(
      {
        max_body_bytes: ByteSize({ default: '16MB', description: 'Largest accepted request body (after decompression for push).' }),
        max_streams_per_push: Type.Integer({ minimum: 1, default: 10_000, description: 'Streams in one push request.' }),
        max_entries_per_push: Type.Integer({ minimum: 1, default: 1_000_000, description: 'Entries in one push request.' }),
        max_query_limit: Type.Integer({ minimum: 1, default: 5000, description: 'Largest `limit` of a log query.' }),
        query_timeout: Duration({ default: '60s', description: 'Queries running longer are cancelled.' }),
      },
      { additionalProperties: false, default: {}, description: 'Limits on requests.' },
    ),
  },
  { additionalProperties: false, default: {}, description: 'The HTTP server.' },
);

export const StorageSchema = Type.Object(
  {
    path: Type.String({ default: DEFAULT_DATA_DIR, description: 'Data directory: store, WAL, checkpoints, buffers.' }),
    logs: Type.Object(LogStoreConfigSchema.properties, { additionalProperties: false, default: {}, description: 'The embedded log store.' }),
    metrics: Type.Object(MetricsStoreConfigSchema.properties, {
      additionalProperties: false, default: {}, description: 'The embedded metrics store (fed by Prometheus remote write, queried with PromQL on /api/v1/*).',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Where and how Vigil stores data.' },
);

export const LoggingSchema = Type.Object(
  {
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)), { default: 'info', description: "Vigil's own log level." }),
    format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], { default: 'auto', description: 'auto = pretty on a terminal, JSON otherwise.' }),
    file: Type.Boolean({ default: true, description: "Also write Vigil's own log as JSON to <storage.path>/logs/vigil.log (collected into the store by the `self` source)." }),
  },
  { additionalProperties: false, default: {}, description: "Vigil's own logs." },
);

export const RootSchema = Type.Object(
  {
    server: ServerSchema,
    storage: StorageSchema,
    logging: LoggingSchema,
    sources: Type.Optional(Type.Record(Type.String({ pattern: ComponentId }), SourceEntry, { description: 'Where logs come from, by id.' })),
    sinks: Type.Optional(Type.Record(Type.String({ pattern: ComponentId }), SinkEntry, { description: 'Where logs go, by id.' })),
    monitors: Type.Optional(MonitorsSectionSchema),
    monitoring: MonitoringSchema,
    host_metrics: HostMetricsSchema,
    global: Type.Optional(Type.Object(
      {
        scrape_interval: Type.Optional(Duration({ description: 'Default scrape interval of `scrape_configs` (1m).' })),
        scrape_timeout: Type.Optional(Duration({ description: 'Default scrape timeout (10s).' })),
      },
      { additionalProperties: false, description: 'Defaults for scraping, as in prometheus.yml.' },
    )),
    scrape_configs: Type.Optional(ScrapeConfigsSchema),
    remote_write: Type.Optional(RemoteWriteConfigsSchema),
  },
  { additionalProperties: false },
);

export type RootConfigRaw = Static<typeof RootSchema>;
