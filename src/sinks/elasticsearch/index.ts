/**
 * The `elasticsearch` sink: ships batches with the bulk API (`POST /_bulk`, NDJSON) to
 * date-templated indices or a data stream; per-item failures are retried or dead-lettered alone.
 */
import { defineSink } from '../../components/contract.js';
import { buildBulkSink } from './bulk-sink.js';
import { bulkSinkSchema } from './config.js';

export default defineSink({
  kind: 'sink',
  defaultBuffer: 'disk',
  type: 'elasticsearch',
  description: 'Ships batches to Elasticsearch with the bulk API (date-templated indices or data streams).',
  schema: bulkSinkSchema,
  example: { url: 'http://127.0.0.1:9200', index: 'vigil-{{ labels.service }}-%Y.%m.%d', labels_as: 'object', gzip: true, auth: { api_key: '${ES_API_KEY}' }, timeout: '10s' },
  build(config, ctx) {
    return buildBulkSink('elasticsearch', config, ctx);
  },
});
