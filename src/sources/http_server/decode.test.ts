import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpSourceError } from '../shared-http/body.js';
import { decodeBody, type DecodeOptions } from './decode.js';

const NOW = 1_700_000_000_000_000;
const o = (x: Partial<DecodeOptions> = {}): DecodeOptions => ({ decoding: 'ndjson', timestampField: undefined, now: NOW, ...x });

describe('http_server decodeBody', () => {
  it('ndjson: one entry per line, bad JSON named by line and skipped, timestamps from a dotted field', () => {
    const d = decodeBody(Buffer.from('{"t":{"at":"2024-01-01T00:00:00.5Z"},"m":1}\r\n\n{"m": 2, "t":{"at":1700000000001}}\n{oops\n"str"\n'), o({ timestampField: 't.at' }));
    assert.deepEqual(d.lines, ['{"t":{"at":"2024-01-01T00:00:00.5Z"},"m":1}', '{"m":2,"t":{"at":1700000000001}}', '"str"']);
    assert.deepEqual(d.ts, [1704067200500000, 1700000000001000, NOW]);
    assert.equal(d.problems.length, 1);
    assert.match(d.problems[0] ?? '', /^line 4 \(byte offset \d+\): not JSON/);
  });

  it('text: lines as is; invalid UTF-8 named with line and byte offset', () => {
    const body = Buffer.concat([Buffer.from('first line\nsecond é\n'), Buffer.from([0x61, 0xc3, 0x28, 0x0a]), Buffer.from('last')]);
    const d = decodeBody(body, o({ decoding: 'text' }));
    assert.deepEqual(d.lines, ['first line', 'second é', 'last']);
    assert.deepEqual(d.problems, ['line 3: invalid UTF-8 at byte offset 22']);
  });

  it('json: one object, or an array of objects (non-objects named by index)', () => {
    assert.deepEqual(decodeBody(Buffer.from(' {"a": 1, "ts": "1700000000000"} '), o({ decoding: 'json', timestampField: 'ts' })), { ts: [1700000000000000], lines: ['{"a":1,"ts":"1700000000000"}'], problems: [] });
    const d = decodeBody(Buffer.from('[{"a":1},2,{"b":[1,2]}]'), o({ decoding: 'json' }));
    assert.deepEqual(d.lines, ['{"a":1}', '{"b":[1,2]}']);
    assert.deepEqual(d.problems, ['[1]: expected a JSON object, found a number']);
    assert.throws(() => decodeBody(Buffer.from('{"a":'), o({ decoding: 'json' })), (e: unknown) => e instanceof HttpSourceError && e.status === 400 && /unexpected end of input|not JSON/.test(e.message));
    assert.throws(() => decodeBody(Buffer.from('"x"'), o({ decoding: 'json' })), /expected a JSON object or an array/);
  });
});
