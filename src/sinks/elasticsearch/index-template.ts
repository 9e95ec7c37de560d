/**
 * `create_template`: the composable index template (`PUT /_index_template/<name>`, Elasticsearch
 * 7.8+ and OpenSearch 1+) that maps Vigil's documents, and for data streams declares the stream
 * (OpenSearch has no built-in `logs-*-*` template, so without it a data stream is never created).
 */
import type { Logger } from 'pino';
import { httpRequest } from '../../http/client.js';
import type { Transport } from '../http/transport.js';

/**
 * The template body. Priority 200 wins over Elasticsearch's built-in `logs-*-*` (100) so our
 * `@timestamp` keeps microseconds (date_nanos) and labels stay exact keywords.
 */
export function indexTemplateBody(pattern: string, dataStream: boolean, labelsAs: 'object' | 'fields'): Record<string, unknown> {
  const properties: Record<string, unknown> = { '@timestamp': { type: 'date_nanos' }, message: { type: 'text' } };
  if (labelsAs === 'object') properties['labels'] = { type: 'object', dynamic: true };
  return {
    index_patterns: [pattern],
    priority: 200,
    ...(dataStream ? { data_stream: {} } : {}),
    template: {
      mappings: {
        dynamic_templates: labelsAs === 'object' ? [{ labels_as_keywords: { path_match: 'labels.*', mapping: { type: 'keyword' } } }] : [{ strings_as_keywords: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } }],
        properties,
      },
    },
    _meta: { managed_by: 'vigil' },
  };
}

/** PUTs the template; never throws (the outcome is logged and returned for tests). */
export async function putIndexTemplate(t: Transport, baseUrl: string, name: string, body: Record<string, unknown>, logger: Logger, headers: Record<string, string>): Promise<{ ok: boolean; status?: number }> {
  const url = `${baseUrl}/_index_template/${encodeURIComponent(name)}`;
  try {
    const res = await httpRequest({ ...t.base, method: 'PUT', url, body: JSON.stringify(body), headers: { ...t.headers, ...headers, 'content-type': 'application/json' } });
    if (res.status >= 200 && res.status < 300) {
      logger.info({ template: name, patterns: body['index_patterns'] }, 'index template created or updated');
      return { ok: true, status: res.status };
    }
    logger.warn({ template: name, status: res.status, error: res.text().slice(0, 500) }, 'could not create the index template; documents are indexed with the cluster\'s default mappings');
    return { ok: false, status: res.status };
  } catch (e) {
    logger.warn({ template: name, error: (e as Error).message }, 'could not create the index template; documents are indexed with the cluster\'s default mappings');
    return { ok: false };
  }
}
