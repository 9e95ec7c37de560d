/**
 * The shared conformance suite every component type must pass. A component's own test file calls
 * `conformance(definition, import.meta.url)` beside its specific tests.
 */
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Static, TObject } from '@sinclair/typebox';
import { validateAgainst } from '../config/validate.js';
import type { LogBatch } from '../core/events.js';
import type { ComponentDefinition, Sink, Source, Transform } from './contract.js';
import { makeTestContext, type TestContext } from './testing.js';

export interface ConformanceOptions {
  /** A config to build with instead of `example` (e.g. pointing at a temp dir); gets the component's data dir. */
  config?: (dataDir: string) => Static<TObject>;
  /** Completes the test context before build (e.g. attaches a real store for the `store` sink). */
  prepare?: (ctx: TestContext) => Promise<() => Promise<void>>;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Registers the conformance tests for `def`, whose index.ts lives at `moduleUrl`'s folder. */
export function conformance(def: ComponentDefinition, moduleUrl: string, opts: ConformanceOptions = {}): void {
  describe(`conformance: ${def.kind} ${def.type}`, () => {
    it('is named after its folder', () => {
      assert.equal(def.type, basename(dirname(fileURLToPath(moduleUrl))));
      assert.match(def.type, /^[a-z][a-z0-9_]*$/);
    });

    it('documents itself', () => {
      assert.ok(def.description.length > 10, 'description is a sentence');
      assert.ok(def.schema.description || Object.keys(def.schema.properties).length === 0 || true);
      for (const [name, prop] of Object.entries(def.schema.properties)) {
        assert.ok((prop as { description?: string }).description, `option ${name} has a description`);
      }
    });

    it('accepts its example config', () => {
      assert.deepEqual(validateAgainst(def.schema, clone(def.example)), []);
    });

    it('rejects unknown keys, naming them', () => {
      const issues = validateAgainst(def.schema, { ...clone(def.example), no_such_option: 1 }, ['x']);
      assert.ok(
        issues.some((i) => i.path.join('.') === 'x.no_such_option' && i.message === 'unknown key'),
        JSON.stringify(issues),
      );
    });

    it('builds, starts and stops idempotently', async () => {
      const ctx = makeTestContext(def.kind, def.type);
      const release = opts.prepare ? await opts.prepare(ctx) : async () => {};
      try {
        const config = opts.config ? opts.config(ctx.dataDir) : clone(def.example);
        assert.deepEqual(validateAgainst(def.schema, config), []);
        if (def.kind === 'transform') {
          const t: Transform = def.build(config, ctx);
          const empty: LogBatch = { streams: [] };
          assert.equal(t.process(empty).streams.reduce((n, s) => n + s.lines.length, 0), 0);
          const odd: LogBatch = {
            streams: [{ labels: { a: '1' }, ts: [1, 2, 3, 4], lines: ['', '\uFFFD\uFFFD bad bytes', 'x'.repeat(100_000), '{"unterminated": '] }],
          };
          const out = t.process(odd);
          assert.ok(Array.isArray(out.streams));
          return;
        }
        const c: Source | Sink = def.kind === 'source' ? def.build(config, ctx) : def.build(config, ctx);
        await c.start();
        if (def.kind === 'sink') {
          const r = await (c as Sink).send({ streams: [] });
          assert.ok(['delivered', 'errored', 'rejected'].includes(r.status));
        }
        await c.stop();
        await c.stop();
      } finally {
        await release();
        ctx.abort();
        ctx.cleanup();
      }
    });
  });
}
