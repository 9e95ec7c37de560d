/**
 * The one explicit list of component types. Adding a type = a folder + one line here + its
 * conformance test passing. Lookups go through this registry, never through `if (type === ...)`.
 */
import storeSink from '../sinks/store/index.js';
import consoleSink from '../sinks/console/index.js';
import fileSink from '../sinks/file/index.js';
import httpSink from '../sinks/http/index.js';
import lokiSink from '../sinks/loki/index.js';
import elasticsearchSink from '../sinks/elasticsearch/index.js';
import opensearchSink from '../sinks/opensearch/index.js';
import vigilSink from '../sinks/vigil/index.js';
import journaldSource from '../sources/journald/index.js';
import elasticsearchSource from '../sources/elasticsearch/index.js';
import otlpSource from '../sources/otlp/index.js';
import httpServerSource from '../sources/http_server/index.js';
import type { ComponentDefinition, ComponentKind } from './contract.js';
import filterTransform from '../pipeline/transforms/filter/index.js';
import labelsTransform from '../pipeline/transforms/labels/index.js';
import redactTransform from '../pipeline/transforms/redact/index.js';
import sampleTransform from '../pipeline/transforms/sample/index.js';
import throttleTransform from '../pipeline/transforms/throttle/index.js';
import fileSource from '../sources/file/index.js';
import syslogSource from '../sources/syslog/index.js';
import execSource from '../sources/exec/index.js';
import stdinSource from '../sources/stdin/index.js';
import dockerParser from '../pipeline/parsers/docker/index.js';
import criParser from '../pipeline/parsers/cri/index.js';
import jsonParser from '../pipeline/parsers/json/index.js';
import levelParser from '../pipeline/parsers/level/index.js';
import logfmtParser from '../pipeline/parsers/logfmt/index.js';
import regexParser from '../pipeline/parsers/regex/index.js';
import timestampParser from '../pipeline/parsers/timestamp/index.js';

const definitions: ComponentDefinition[] = [
  // sources
  fileSource,
  syslogSource,
  execSource,
  stdinSource,
  journaldSource,
  elasticsearchSource,
  otlpSource,
  httpServerSource,
  // transforms (parsers are transforms)
  jsonParser,
  logfmtParser,
  regexParser,
  timestampParser,
  levelParser,
  dockerParser,
  criParser,
  labelsTransform,
  filterTransform,
  redactTransform,
  sampleTransform,
  throttleTransform,
  // sinks
  storeSink as ComponentDefinition,
  lokiSink as ComponentDefinition,
  httpSink as ComponentDefinition,
  fileSink as ComponentDefinition,
  consoleSink as ComponentDefinition,
  elasticsearchSink as ComponentDefinition,
  opensearchSink as ComponentDefinition,
  vigilSink as ComponentDefinition,
];

const byKey = new Map<string, ComponentDefinition>();
for (const d of definitions) {
  const key = `${d.kind}:${d.type}`;
  if (byKey.has(key)) throw new Error(`component ${key} registered twice`);
  byKey.set(key, d);
}

/** The definition of `type` for `kind`, or undefined. */
export function lookup(kind: ComponentKind, type: string): ComponentDefinition | undefined {
  return byKey.get(`${kind}:${type}`);
}

/** All types of a kind, sorted by name (for docs and error messages). */
export function typesOf(kind: ComponentKind): string[] {
  return definitions.filter((d) => d.kind === kind).map((d) => d.type).sort();
}

export function allDefinitions(): ReadonlyArray<ComponentDefinition> {
  return definitions;
}
