/**
 * The `opensearch` sink: the same bulk sink for OpenSearch (no Elastic product check; data streams
 * need an index template, so `create_template: true` is the usual companion of `data_stream`).
 */
import { defineSink } from '../../components/contract.js';
import { buildBulkSink } from './bulk-sink.js';
import { bulkSinkSchema } from './config.js';

export default defineSink({
  kind: 'sink',
  defaultBuffer: 'disk',
  type: 'opensearch',
  description: 'Ships batches to OpenSearch with the bulk API (date-templated indices or data streams).',
  schema: bulkSinkSchema,
  example: { url: 'https://127.0.0.1:9200', mode: 'data_stream', data_stream: { dataset: 'app', namespace: 'prod' }, create_template: true, auth: { username: 'admin', password: '${OPENSEARCH_PASSWORD}' }, tls: { insecure_skip_verify: true } },
  build(config, ctx) {
    return buildBulkSink('opensearch', config, ctx);
  },
});
