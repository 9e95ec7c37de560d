/**
 * Loki's HTTP API shapes (https://grafana.com/docs/loki/latest/reference/loki-http-api/).
 * The LogQL engine (src/query/logql/) returns `LokiQueryData`; the server wraps it in
 * `{status: "success", data}` unchanged, so the engine owns the exact result encoding.
 */

/** One stream of a `streams` result: label set and `[nanosecond string, line, structured metadata?]` entries. */
export interface LokiStream {
  stream: Record<string, string>;
  values: Array<[string, string] | [string, string, Record<string, string>]>;
}

/** One sample of a `vector` result: `[unix seconds (float), "value"]`. */
export interface LokiVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a `matrix` result. */
export interface LokiMatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/**
 * Loki's `data` object of /query and /query_range answers. `result` holds `LokiStream`s for
 * `streams`, `LokiVectorSample`s for `vector`, `LokiMatrixSeries` for `matrix` and
 * `[seconds, "value"]` for `scalar`; kept as `unknown[]` so the engine owns the encoding.
 */
export interface LokiQueryData {
  resultType: 'streams' | 'vector' | 'matrix' | 'scalar';
  result: unknown[];
  stats?: unknown;
}

/** The full /query and /query_range answer body. */
export interface LokiQueryResponse {
  status: 'success';
  data: LokiQueryData;
}

/** A frame pushed over the /tail websocket. */
export interface LokiTailFrame {
  streams: LokiStream[];
  dropped_entries: null | Array<{ timestamp: string; labels: Record<string, string> }>;
}
