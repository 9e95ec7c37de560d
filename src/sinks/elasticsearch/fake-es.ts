/**
 * A node:http stand-in for an Elasticsearch node, for the bulk sinks' tests. It answers `_bulk` with
 * the response shapes Elasticsearch 8 documents (per-item status, `errors`, error `type`/`reason`),
 * keeps the documents it stored by index and id (so `create` of an existing id gets the real 409
 * version_conflict_engine_exception), refuses `index` actions on data streams as ES does, records
 * `_index_template` PUTs, and lets a test make chosen items fail (429 rejected execution, 400 mapping).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface StoredDoc {
  index: string;
  id: string;
  source: Record<string, unknown>;
}

/** A test's say on one item: undefined = normal ES behaviour. */
export type ItemRule = (action: string, meta: { _index: string; _id?: string }, doc: Record<string, unknown>) => { status: number; type: string; reason: string } | undefined;

export interface FakeEs {
  url: string;
  docs: Map<string, StoredDoc>;
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }>;
  templates: Map<string, Record<string, unknown>>;
  /** Per-item failures decided by the test. */
  rule: ItemRule | undefined;
  /** Whole-request answers queued before bulk handling (e.g. 429 with Retry-After). */
  answers: Array<{ status: number; headers?: Record<string, string>; body?: string }>;
  /** Bulk requests to store normally but answer 504 for (the answer is lost on the way back). */
  lose: number;
  /** Send X-Elastic-Product (ES 7.14+); false imitates OpenSearch. */
  product: boolean;
  close(): Promise<void>;
}

export async function fakeEs(): Promise<FakeEs> {
  let seq = 0;
  let autoId = 0;
  const es: FakeEs = {
    url: '',
    docs: new Map(),
    requests: [],
    templates: new Map(),
    rule: undefined,
    answers: [],
    product: true,
    lose: 0,
    close: async () => {},
  };
  const isDataStream = (index: string): boolean => {
    for (const t of es.templates.values()) {
      if (!('data_stream' in t)) continue;
      const patterns = (t['index_patterns'] as string[] | undefined) ?? [];
      if (patterns.some((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(index))) return true;
    }
    return /^logs-[^-]+-[^-]+$/.test(index); // ES's built-in logs-*-* template
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      es.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (es.product) headers['x-elastic-product'] = 'Elasticsearch';
      const queued = es.answers.shift();
      if (queued) {
        res.writeHead(queued.status, { ...headers, ...queued.headers });
        res.end(queued.body ?? '');
        return;
      }
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'PUT' && path.startsWith('/_index_template/')) {
        es.templates.set(decodeURIComponent(path.slice('/_index_template/'.length)), JSON.parse(raw.toString()) as Record<string, unknown>);
        res.writeHead(200, headers);
        res.end('{"acknowledged":true}');
        return;
      }
      if (req.method !== 'POST' || path !== '/_bulk') {
        res.writeHead(404, headers);
        res.end(JSON.stringify({ error: { type: 'not_found', reason: `no handler for ${req.method} ${path}` }, status: 404 }));
        return;
      }
      if (!/^application\/(x-ndjson|json)/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(406, headers);
        res.end(JSON.stringify({ error: `Content-Type header [${req.headers['content-type'] ?? ''}] is not supported`, status: 406 }));
        return;
      }
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      if (!text.endsWith('\n')) {
        res.writeHead(400, headers);
        res.end(JSON.stringify({ error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 }));
        return;
      }
      const lines = text.split('\n');
      lines.pop();
      const items: unknown[] = [];
      let errors = false;
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i] ?? '{}') as Record<string, { _index: string; _id?: string }>;
        const name = Object.keys(action)[0] ?? '';
        const meta = action[name] ?? { _index: '' };
        const doc = JSON.parse(lines[i + 1] ?? '{}') as Record<string, unknown>;
        const id = meta._id ?? `auto${++autoId}`;
        const key = `${meta._index}/${id}`;
        const fail = (status: number, type: string, reason: string): void => {
          errors = true;
          items.push({ [name]: { _index: meta._index, _id: id, status, error: { type, reason, index_uuid: 'aAsFqTI0Tc2W0LCWgPNrOA', shard: '0', index: meta._index } } });
        };
        const custom = es.rule?.(name, meta, doc);
        if (custom) fail(custom.status, custom.type, custom.reason);
        else if (name === 'index' && isDataStream(meta._index)) fail(400, 'illegal_argument_exception', `only write ops with an op_type of create are allowed in data streams`);
        else if (name === 'create' && es.docs.has(key)) fail(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists (current version [1])`);
        else {
          const existed = es.docs.has(key);
          es.docs.set(key, { index: meta._index, id, source: doc });
          items.push({ [name]: { _index: isDataStream(meta._index) ? `.ds-${meta._index}-2026.11.27-000001` : meta._index, _id: id, _version: 1, result: existed ? 'updated' : 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: seq++, _primary_term: 1, status: existed ? 200 : 201 } });
        }
      }
      if (es.lose > 0) {
        es.lose--;
        res.writeHead(504, headers);
        res.end('{"error":"gateway timeout"}');
        return;
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify({ errors, took: 3, items }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  es.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  es.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return es;
}
