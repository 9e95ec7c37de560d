/**
 * The `labels` transform: adds (static or `{{.field}}`-templated), renames and drops stream
 * labels, in that order, regrouping entries whose labels end up equal into one stream.
 * An added value that renders empty sets no label (as in Loki).
 */
import { Type } from '@sinclair/typebox';
import { defineTransform } from '../../../components/contract.js';
import { VigilError } from '../../../core/errors.js';
import type { LogBatch } from '../../../core/events.js';
import { isValidLabelName, streamKey, type Labels } from '../../../core/labels.js';
import { StreamMerger } from '../merge.js';
import { compileTemplate, renderTemplate, type Template } from './template.js';

const schema = Type.Object(
  {
    add: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: 'Label name → value; the value may reference an entry\'s fields or stream labels as `{{.name}}` (a field wins). Overwrites an existing label. Keep values low-cardinality.',
      }),
    ),
    rename: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
        description: 'Old label name → new name (applied after `add`; overwrites a label already named so).',
      }),
    ),
    drop: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Label names removed (applied last).' })),
  },
  { additionalProperties: false },
);

function checkName(name: string, where: string): void {
  if (!isValidLabelName(name)) throw new VigilError('CONFIG_INVALID', `${where}: invalid label name ${JSON.stringify(name)}`);
}

export default defineTransform({
  kind: 'transform',
  type: 'labels',
  description: 'Adds (static or templated from fields), renames and drops stream labels, regrouping streams.',
  schema,
  example: { add: { env: 'prod', service: '{{.app}}' }, rename: { filename: 'file' }, drop: ['pod_uid'] },
  build(config) {
    const statics: Array<[string, string]> = [];
    const templated: Array<[string, Template]> = [];
    for (const [name, value] of Object.entries(config.add ?? {})) {
      checkName(name, `add.${name}`);
      const t = compileTemplate(value, `add.${name}`);
      if (t.names.length === 0) statics.push([name, value]);
      else templated.push([name, t]);
    }
    const renames = Object.entries(config.rename ?? {});
    for (const [from, to] of renames) checkName(to, `rename.${from}`);
    const drops = config.drop ?? [];
    const values = new Array<string>(templated.length);

    /** Input labels (+ rendered template values) → output labels. */
    const relabel = (input: Labels, rendered: ReadonlyArray<string> | undefined): Labels => {
      const l: Labels = { ...input };
      for (const [n, v] of statics) {
        if (v === '') delete l[n];
        else l[n] = v;
      }
      if (rendered) {
        for (let k = 0; k < templated.length; k++) {
          const n = (templated[k] as [string, Template])[0];
          const v = rendered[k] as string;
          if (v === '') delete l[n];
          else l[n] = v;
        }
      }
      for (const [from, to] of renames) {
        const v = l[from];
        if (v === undefined) continue;
        delete l[from];
        l[to] = v;
      }
      for (const d of drops) delete l[d];
      return l;
    };

    return {
      process(batch: LogBatch): LogBatch {
        const m = new StreamMerger();
        for (const s of batch.streams) {
          if (templated.length === 0) {
            m.addStream(relabel(s.labels, undefined), s);
            continue;
          }
          // Per stream, one output label set per distinct rendering: most entries share a few.
          const cache = new Map<string, [string, Labels]>();
          for (let i = 0; i < s.lines.length; i++) {
            const f = s.fields?.[i];
            let key = '';
            for (let k = 0; k < templated.length; k++) {
              const v = renderTemplate((templated[k] as [string, Template])[1], s.labels, f);
              values[k] = v;
              key += k === 0 ? v : `\u0001${v}`;
            }
            let out = cache.get(key);
            if (!out) {
              const l = relabel(s.labels, values);
              out = [streamKey(l), l];
              cache.set(key, out);
            }
            m.addEntry(out[0], out[1], s, i);
          }
        }
        return m.finish();
      },
    };
  },
});
