/** The `opensearch` sink: the bulk sink of ../elasticsearch with OpenSearch's differences. */
export { default } from '../elasticsearch/opensearch.js';
